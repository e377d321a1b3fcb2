import Foundation
import Mustache

/// A bound on how much one report template renders, counted as it renders.
///
/// swift-mustache renders a section once per element of a list, and sections nest: `{{#keys}}{{#keys}}{{#keys}}…`
/// over 300 keys is 300ⁿ renders, a run that never ends and a string that fills memory. TemplateCheck bounds what
/// can be seen before rendering (size, nesting, partials); this bounds what only the data shows. Every list in
/// the view model is handed to the renderer as a ``List`` that takes one unit of the budget per element it gives
/// out and gives out nothing once the budget is spent; the render then ends early and ``exhausted`` says so.
final class RenderBudget: @unchecked Sendable {
    // @unchecked: one render uses one budget on one thread.
    /// Elements of lists one template may render, summed over every section: a generous constant, plus four
    /// for every key and finding (with `--report-rows 0` a table lists them all). The shipped templates render
    /// about 4,600 for 10,000 keys; a hostile one stops within seconds.
    static func limit(for facts: ReportFacts) -> Int {
        500_000 + 4 * (facts.summary.keys + facts.summary.findings + facts.summary.suppressed)
    }

    private(set) var remaining: Int
    var exhausted: Bool { remaining < 0 }

    init(limit: Int) {
        remaining = limit
    }

    /// `model` with every list, at any depth, made a ``List`` drawing on this budget (elements are wrapped as
    /// they are given out, so that the lists inside them are bounded too).
    func wrap(_ model: [String: Any]) -> [String: Any] {
        model.mapValues(wrap)
    }

    func wrap(_ value: Any) -> Any {
        switch value {
        case is List: return value
        case let sequence as any MustacheSequence: return List(base: sequence, budget: self)
        case let object as [String: Any]: return wrap(object)
        default: return value
        }
    }

    /// Takes one unit; false once the budget is spent.
    fileprivate func take() -> Bool {
        remaining -= 1
        return remaining >= 0
    }

    /// A list of the view model (an array, or a sequence made as it is read, like the key rows), as the renderer
    /// iterates it.
    struct List: MustacheSequence, MustacheTransformable {
        let base: any MustacheSequence
        let budget: RenderBudget

        struct Iterator: IteratorProtocol {
            var base: AnyIterator<Any>
            let budget: RenderBudget

            mutating func next() -> Any? {
                guard let item = base.next(), budget.take() else { return nil }
                return budget.wrap(item)
            }
        }

        func makeIterator() -> Iterator { Iterator(base: Self.iterator(of: base), budget: budget) }

        private static func iterator<S: Sequence>(of sequence: S) -> AnyIterator<Any> {
            var iterator = sequence.makeIterator()
            return AnyIterator { iterator.next() }
        }

        /// The base's own transforms (`count`, `empty`, `first`, `last`, `reversed` on an array), with what they
        /// return bounded as well.
        func transform(_ name: String) -> Any? {
            guard let transformable = base as? any MustacheTransformable, let result = transformable.transform(name)
            else { return nil }
            return budget.wrap(result)
        }
    }
}
