/// The version keyaudit reports in snapshots, reports and `--version`.
package enum KeyAuditVersion {
    package static let current = "0.1.0"
}
