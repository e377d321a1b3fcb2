import Foundation

extension Array {
    /// Rearranges the array in place so that position `i` holds what was at `order[i]`: no second array of
    /// 170,000 findings (or 100,000 keys) next to the first.
    package mutating func permute(into order: [Int]) {
        var placed = [Bool](repeating: false, count: count)
        for start in indices where !placed[start] {
            // Follow the cycle through `start`: each position takes the item its order names.
            var position = start
            while true {
                placed[position] = true
                let source = order[position]
                if source == start { break }
                swapAt(position, source)
                position = source
            }
        }
    }
}
