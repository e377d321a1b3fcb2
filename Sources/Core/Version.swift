/// The version keyaudit reports in snapshots, reports and `--version`.
public enum KeyAuditVersion {
    /// This build's version: `tool.version` in snapshot.json, the reports, and the `User-Agent` sent to the API.
    public static let current = "0.1.0"
}
