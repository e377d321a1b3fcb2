import KeyAuditSnapshot

/// Which key was rotated into which, read across a whole snapshot: a key names its predecessor in
/// `rotated_from_hash`, so whether a key has a successor is only known once every key is read.
package struct RotationIndex: Sendable {
    /// The key that names another as its predecessor.
    package struct Successor: Sendable, Equatable {
        package var identity: String
        package var name: String?
        /// Seconds since 1970; nil when the successor's `created_at` could not be read.
        package var createdAt: Double?
        /// Seconds since 1970; nil when the successor does not expire.
        package var expiresAt: Double?
    }

    private var successors: [String: Successor] = [:]

    package init() {}

    /// Indexes every key that names a predecessor. When two keys name the same one (rotated twice from the
    /// same key), the older successor counts: the predecessor has been replaced since then.
    package init(_ keys: some Sequence<KeyRecord>) {
        for key in keys { add(predecessor: key.rotatedFromHash, successor: key) }
    }

    /// Only an enabled successor counts: a disabled one (a rotation rolled back) has not taken over, and its
    /// predecessor may be the key that works.
    package mutating func add(predecessor: String?, successor key: KeyRecord) {
        guard let successor = Self.successor(key) else { return }
        add(predecessor: predecessor, successor: successor)
    }

    /// What `key` is as a successor: nil when it is disabled.
    package static func successor(_ key: KeyRecord) -> Successor? {
        guard key.isEnabled else { return nil }
        return Successor(identity: key.identity, name: key.name, createdAt: key.createdAt, expiresAt: key.expiresAt)
    }

    package mutating func add(predecessor: String?, successor: Successor) {
        guard let predecessor, !predecessor.isEmpty, predecessor != successor.identity else { return }
        if let known = successors[predecessor], (known.createdAt ?? .infinity) <= (successor.createdAt ?? .infinity) {
            return
        }
        successors[predecessor] = successor
    }

    /// The key rotated from `identity`, if any.
    package func successor(of identity: String) -> Successor? { successors[identity] }

    package var isEmpty: Bool { successors.isEmpty }
}
