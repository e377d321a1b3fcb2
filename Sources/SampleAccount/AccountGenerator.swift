import Foundation
import KeyAuditCore

/// Deterministic synthetic keys shaped like `GET /keys` items: the one generator behind the tests' stand-in
/// account, the benchmark's accounts and the `--demo` account.
///
/// The same arguments give the same keys on every platform (``SplitMix64``). Keys have a realistic spread:
/// limits present, null or 0, with and without a reset; usage and BYOK usage; timestamps in both styles the
/// API sends (`…Z` and `….363244+00:00`); `expires_at` absent, null, past or future; `last_used_at` (a newer
/// field) absent on some; names with non-ASCII letters and quotes. Every rule and code path does real work.
package enum AccountGenerator {
    /// The knobs of ``keys(_:)``.
    package struct Options: Sendable {
        /// How many keys.
        package var count: Int
        /// Workspace ids; keys are spread over them (the first gets the most).
        package var workspaces: [String]
        /// Exactly this many keys are disabled (clamped to `count`).
        package var disabled: Int
        package var seed: UInt64
        /// The account's clock: keys were created in the `createdWithinDays` before it.
        package var now: Double
        package var createdWithinDays: Double = 900
        /// Below 1: the same keys as they were earlier, with less usage (a "previous" snapshot).
        package var usageScale: Double = 1

        package init(count: Int, workspaces: [String], disabled: Int, seed: UInt64, now: Double) {
            self.count = count
            self.workspaces = workspaces
            self.disabled = disabled
            self.seed = seed
            self.now = now
        }
    }

    /// `options.count` keys, in generation order.
    package static func keys(_ options: Options) -> [JSONObject] {
        var random = SplitMix64(state: options.seed)
        let count = max(0, options.count)
        // Exactly `disabled` of them, anywhere in the list (a partial Fisher–Yates shuffle).
        var order = Array(0..<count)
        var disabledSet = Set<Int>()
        for index in 0..<min(max(options.disabled, 0), count) {
            order.swapAt(index, index + random.below(count - index))
            disabledSet.insert(order[index])
        }
        let users = (0..<6).map { _ in "user_" + random.base62(27) }
        var factory = KeyFactory(seed: options.seed ^ 0x6B65_7961_7564_6974)
        var keys: [JSONObject] = []
        keys.reserveCapacity(count)
        for index in 0..<count {
            // Each key's hash from its own stream: a key keeps its hash when the account is generated again
            // with another usage scale, or with more keys.
            var hashRandom = SplitMix64(state: options.seed &+ UInt64(index) &* 0x2545_F491_4F6C_DD1D)
            let workspace =
                options.workspaces.isEmpty
                ? nil
                : options.workspaces[
                    random.unit() < 0.6 ? 0 : random.below(options.workspaces.count)]
            let created = options.now - random.unit() * options.createdWithinDays * KeyFactory.day
            let name =
                "\(names[random.below(names.count)])-\(stages[random.below(stages.count)])-\(index + 1)"
                + (index % 97 == 0 ? " \(odd[random.below(odd.count)])" : "")
            var key = factory.key(
                hash: hashRandom.hex(64), name: name, workspace: workspace, createdAt: created, now: options.now,
                creator: users[random.below(users.count)], style: index % 2)
            vary(&key, random: &random, now: options.now, usageScale: options.usageScale, style: index % 2)
            if disabledSet.contains(index) { key.set("disabled", .bool(true)) }
            keys.append(JSONObject(key.fields))
        }
        return keys
    }

    /// The keys as JSON text, one compact object per line: what the benchmark writes into its snapshot files.
    package static func lines(_ options: Options) -> [String] {
        keys(options).map { JSONWriter.string(.object($0), style: .compact) }
    }

    static let names = [
        "search", "billing", "support-bot", "ml", "infra", "growth", "data-pipeline", "mobile", "web", "ops",
        "chat-widget", "eval-harness", "notebook", "batch-jobs",
    ]
    static let stages = ["prod", "staging", "dev", "ci"]
    /// Text people put in names: non-ASCII letters, quotes, commas.
    static let odd = ["Zoë's sandbox", "测试 key", "prod \"blue\"", "Nightly, EU", "équipe données"]

    /// The spread over a healthy key: limits, resets, usage, expiry, last use.
    private static func vary(
        _ key: inout KeyFactory.Key, random: inout SplitMix64, now: Double, usageScale: Double, style: Int
    ) {
        let roll = random.unit()
        if roll < 0.4 {
            key.set("limit", .null)
            key.set("limit_remaining", .null)
            key.set("limit_reset", .null)
        } else {
            let limit = [0, 5, 10, 12.5, 20, 50, 100, 250, 1_000][random.below(9)]
            let reset = ["daily", "weekly", "monthly", nil][random.below(4)]
            key.set("limit", .money(limit))
            key.set("limit_reset", reset.map { .string($0) } ?? .null)
            let spent = key.double("usage_monthly")
            key.set("limit_remaining", .money(KeyFactory.rounded(max(0, limit - spent))))
        }
        let used = random.unit() < 0.8
        let usage = used ? KeyFactory.rounded(random.unit() * random.unit() * 400 * usageScale) : 0
        let monthly = KeyFactory.rounded(usage * random.unit())
        let weekly = KeyFactory.rounded(monthly * random.unit())
        let daily = KeyFactory.rounded(weekly * random.unit())
        key.set("usage", .money(usage))
        key.set("usage_daily", .money(daily))
        key.set("usage_weekly", .money(weekly))
        key.set("usage_monthly", .money(monthly))
        if used && random.unit() < 0.2 {
            let byok = KeyFactory.rounded(random.unit() * 60 * usageScale)
            key.set("byok_usage", .money(byok))
            key.set("byok_usage_monthly", .money(KeyFactory.rounded(byok * random.unit())))
            key.set("include_byok_in_limit", .bool(random.unit() < 0.5))
        }
        if random.unit() < 0.05 { key.set("updated_at", .null) }
        switch random.below(10) {
        case 0..<4: key.remove("expires_at")
        case 4..<7: key.set("expires_at", .null)
        default:
            key.set(
                "expires_at", .string(KeyFactory.timestamp(now + (random.unit() * 460 - 60) * KeyFactory.day, style)))
        }
        switch random.below(10) {
        case 0..<3: key.remove("last_used_at")  // an older API version
        default:
            key.set(
                "last_used_at",
                used ? .string(KeyFactory.timestamp(now - random.unit() * 200 * KeyFactory.day, style)) : .null)
        }
    }
}

/// Builds one healthy key at a time: the base the generator varies and the demo account bends into findings.
package struct KeyFactory: Sendable {
    package static let day = 86_400.0
    private var random: SplitMix64

    package init(seed: UInt64) { random = SplitMix64(state: seed) }

    /// A key's fields in the order the API sends them, editable by name.
    package struct Key: Sendable {
        package var fields: [(String, JSONValue)]

        package mutating func set(_ name: String, _ value: JSONValue) {
            if let index = fields.firstIndex(where: { $0.0 == name }) {
                fields[index].1 = value
            } else {
                fields.append((name, value))
            }
        }

        package mutating func remove(_ name: String) { fields.removeAll { $0.0 == name } }

        package func value(_ name: String) -> JSONValue? { fields.first { $0.0 == name }?.1 }

        package func double(_ name: String) -> Double { value(name)?.doubleValue ?? 0 }

        package var object: JSONObject { JSONObject(fields) }
    }

    /// A healthy, enabled key: a monthly limit with room left, recent use, BYOK counted in the limit.
    ///
    /// - Parameter style: 0 writes times as `2025-08-24T10:30:00Z`, 1 as `2025-08-24T10:30:00.363244+00:00`.
    package mutating func key(
        hash: String, name: String, workspace: String?, createdAt: Double, now: Double, creator: String,
        style: Int = 0
    ) -> Key {
        let usage = Self.rounded(Double(random.int(0...40_000)) / 100 + random.unit())
        let limit = Double(random.pick([50, 100, 200, 500, 1000]))
        var fields: [(String, JSONValue)] = [
            ("hash", .string(hash)), ("name", .string(name)),
            ("label", .string("sk-or-v1-\(hash.prefix(3))...\(hash.suffix(4))")),
            ("disabled", .bool(false)), ("limit", .money(limit)),
            (
                "limit_remaining",
                .money(Self.rounded(max(limit * 0.4, limit - (usage / 9).truncatingRemainder(dividingBy: limit * 0.6))))
            ),
            ("limit_reset", .string(random.pick(["daily", "weekly", "monthly", "monthly"]))),
            ("include_byok_in_limit", .bool(true)), ("usage", .money(usage)),
            ("usage_daily", .money(Self.rounded(usage / 300))), ("usage_weekly", .money(Self.rounded(usage / 40))),
            ("usage_monthly", .money(Self.rounded(usage / 9))), ("byok_usage", .int(0)), ("byok_usage_daily", .int(0)),
            ("byok_usage_weekly", .int(0)), ("byok_usage_monthly", .int(0)),
            ("created_at", .string(Self.timestamp(createdAt, style))),
            (
                "updated_at",
                .string(
                    Self.timestamp(min(now - 2 * Self.day, createdAt + Double(random.int(0...3)) * Self.day), style))
            ),
            ("expires_at", .null), ("creator_user_id", .string(creator)),
        ]
        if let workspace { fields.append(("workspace_id", .string(workspace))) }
        fields.append(("last_used_at", .string(Self.timestamp(now - Double(random.int(3_600...(5 * 86_400))), style))))
        return Key(fields: fields)
    }

    /// Money as the API sends it: at most eight decimals.
    package static func rounded(_ value: Double) -> Double { (value * 1e8).rounded() / 1e8 }

    /// A timestamp in one of the two styles the API uses.
    package static func timestamp(_ seconds: Double, _ style: Int) -> String {
        let text = Timestamp.format(Date(timeIntervalSince1970: seconds.rounded(.down)))
        guard style != 0 else { return text }
        let micros = Checked.clampedInt(
            ((seconds - seconds.rounded(.down)) * 1_000_000).rounded(.down), to: 0...999_999)
        let fraction = String(micros)
        return String(text.dropLast()) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction
            + "+00:00"
    }
}
