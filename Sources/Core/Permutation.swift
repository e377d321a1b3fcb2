import Foundation

extension Array {
    /// Rearranges the array in place so that position `i` holds what was at `order[i]`: no second array of
    /// 170,000 findings (or 100,000 keys) next to the first.
    ///
    /// Each item is moved once, never copied (a copy of a key retains each of its strings). Inlinable so that it
    /// is specialised for the element type.
    ///
    /// - Precondition: `order` is a permutation of the array's indices.
    @inlinable
    package mutating func permute(into order: [Int]) {
        precondition(order.count == count, "permute(into:) needs one position per item")
        var placed = [Bool](repeating: false, count: count)
        withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for start in buffer.indices where !placed[start] {
                // Follow the cycle through `start`: each position takes the item its order names.
                let held = (base + start).move()
                var position = start
                while true {
                    placed[position] = true
                    let source = order[position]
                    // A position named twice would be moved from twice: stop before memory is misused.
                    precondition(source == start || !placed[source], "permute(into:) needs a permutation")
                    if source == start {
                        (base + position).initialize(to: held)
                        break
                    }
                    (base + position).moveInitialize(from: base + source, count: 1)
                    position = source
                }
            }
        }
    }
}
