import KeyAuditCore
import KeyAuditSnapshot

/// What a run recorded of the run folder before it (``Snapshot/Reference/evidence`` and
/// ``Snapshot/Reference/signedBy``) against that folder as it is now. One comparison for `verify`
/// (``ChainVerifier``) and for `run`, which checks the run before its previous one (``PreviousRun``); each words
/// the answer for its own output.
enum RecordedFolderMismatch: Equatable {
    /// SHA256SUMS lists `file` as `listed` (nil: not at all), not as the next run recorded.
    case evidence(file: String, recorded: String, listed: String?)
    /// Recorded as signed by `signer`; no signature over the current SHA256SUMS holds now.
    case signatureGone(signer: String)
    /// Recorded as signed by `signer`; now signed by another key.
    case signedAgain(signer: String, now: String)

    /// The first mismatch, or nil when the folder holds what was recorded (or nothing was: older runs).
    /// `sums` is the folder's SHA256SUMS as read; `signature` its signature checked against them (nil: none).
    static func first(
        _ reference: Snapshot.Reference, sums: [UInt8]?, signature: RunSignature.Check?
    ) -> RecordedFolderMismatch? {
        let listed = sums.map(RunFolder.evidence(in:)) ?? [:]
        for (file, recorded) in reference.evidence.sorted(by: { $0.key < $1.key }) where listed[file] != recorded {
            return .evidence(file: file, recorded: recorded, listed: listed[file])
        }
        guard let signer = reference.signedBy else { return nil }
        guard case .valid(let key)? = signature else { return .signatureGone(signer: signer) }
        return key.fingerprint == signer ? nil : .signedAgain(signer: signer, now: key.fingerprint)
    }
}
