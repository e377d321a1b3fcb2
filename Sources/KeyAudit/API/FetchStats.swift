import Foundation

/// Counters of one listing, shared by the concurrent page fetches; they end up in the snapshot's coverage
/// and in the metrics file.
public actor FetchStats {
    public private(set) var requests = 0
    public private(set) var retries = 0
    public private(set) var pages = 0
    public private(set) var keysSeen = 0
    private let onProgress: (@Sendable (_ pages: Int, _ keys: Int) -> Void)?

    public init(onProgress: (@Sendable (_ pages: Int, _ keys: Int) -> Void)? = nil) {
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
