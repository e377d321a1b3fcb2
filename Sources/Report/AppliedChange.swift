import Foundation

/// A change `keyaudit apply` made to the account since the previous run (one `applied` result of an
/// `apply-<time>` folder), listed by the next run's reports.
package struct AppliedChange: Sendable, Equatable {
    /// The apply folder that records it.
    package var folder: String
    /// When the apply finished.
    package var appliedAt: Date
    package var keyHash: String
    package var keyName: String?
    /// `set-limit`, `disable`, `delete`, …
    package var action: String
    /// What the apply record says happened.
    package var detail: String

    package init(
        folder: String, appliedAt: Date, keyHash: String, keyName: String?, action: String, detail: String
    ) {
        self.folder = folder
        self.appliedAt = appliedAt
        self.keyHash = keyHash
        self.keyName = keyName
        self.action = action
        self.detail = detail
    }
}
