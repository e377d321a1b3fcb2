import Foundation
import KeyAuditCore

/// How failed requests are retried: exponential backoff with jitter, `Retry-After` honoured, all inside the deadline.
public struct RetryPolicy: Sendable {
    /// Retries after the first attempt (so `maxRetries + 1` attempts in all).
    public var maxRetries: Int
    /// Backoff ceiling before the first retry; it doubles with each further retry, up to `maxDelay`.
    public var baseDelay: Duration
    /// The highest backoff ceiling; each wait is between half the ceiling and all of it (equal jitter).
    public var maxDelay: Duration
    /// The longest `Retry-After` obeyed; a server asking for more is treated as unavailable.
    public var maxRetryAfter: Duration

    /// Defaults: 5 retries (`--max-retries`), backoff from 500 ms doubling to at most 30 s, and a
    /// `Retry-After` of up to 300 s obeyed.
    public init(
        maxRetries: Int = 5, baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(30),
        maxRetryAfter: Duration = .seconds(300)
    ) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// Backoff before retry number `retry` (1-based): half fixed, half random ("equal jitter"),
    /// so parallel page fetches that failed together do not retry in lockstep.
    func backoff(retry: Int) -> Duration {
        let exponent = min(retry - 1, 20)
        let ceiling = min(baseDelay * (1 << exponent), maxDelay)
        let half = ceiling / 2
        return half + half * Double.random(in: 0...1)
    }

    /// Seconds from a `Retry-After` header (delta-seconds form; HTTP dates are rare on APIs and fall back to backoff).
    /// A wait longer than ``Checked/maximumSeconds`` (`1e300`, say) reads as that maximum: far above
    /// ``maxRetryAfter``, so the API counts as unavailable.
    static func retryAfter(_ header: String?) -> Duration? {
        guard let header, let seconds = Double(header.trimmingCharacters(in: .whitespaces)), seconds >= 0 else {
            return nil
        }
        return Checked.duration(seconds: min(seconds, Checked.maximumSeconds))
    }
}
