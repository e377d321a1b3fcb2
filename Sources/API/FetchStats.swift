import Foundation

/// Counters of one listing, shared by the concurrent page fetches; they end up in the snapshot's coverage
/// and in the metrics file.
package actor FetchStats {
    package private(set) var requests = 0
    package private(set) var retries = 0
    package private(set) var pages = 0
    package private(set) var keysSeen = 0
    private let onProgress: (@Sendable (_ pages: Int, _ keys: Int) -> Void)?

    package init(onProgress: (@Sendable (_ pages: Int, _ keys: Int) -> Void)? = nil) {
        self.onProgress = onProgress
    }

    func recordRequest() { requests += 1 }
    func recordRetry() { retries += 1 }
    func recordPage(keys: Int) {
        pages += 1
        keysSeen += keys
        onProgress?(pages, keysSeen)
    }
}
