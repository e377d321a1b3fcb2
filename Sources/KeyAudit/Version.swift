/// The version keyaudit reports in snapshots, reports and `--version`.
public enum KeyAuditVersion {
    public static let current = "0.1.0"
}
