import Foundation
import KeyAudit

/// Deterministic synthetic accounts, shaped like `GET /keys` items: a spread of limits, usage, expiries and
/// timestamp styles, so every rule and every code path does real work.
enum Generator {
    static let teams = ["search", "billing", "support", "ml", "infra", "growth", "data", "mobile", "web", "ops"]
    static let stages = ["prod", "staging", "dev", "ci"]

    /// `count` keys as JSON text lines (one object each), taken at `now`; `usageScale` < 1 gives the "previous" state.
    static func keys(count: Int, seed: UInt64, now: Double, usageScale: Double = 1) -> [String] {
        var random = SplitMix64(state: seed)
        var lines: [String] = []
        lines.reserveCapacity(count)
        let workspaces = ["0febc8de-0000-4000-8000-000000000000", "7a1d2c3b-0000-4000-8000-000000000001"]
        for index in 0..<count {
            var hashRandom = SplitMix64(state: seed &+ UInt64(index) &* 0x2545_F491_4F6C_DD1D)
            let hash = (0..<4).map { _ in
                let text = String(hashRandom.next(), radix: 16)
                return String(repeating: "0", count: 16 - text.count) + text
            }.joined()
            let created = now - random.unit() * 900 * 86_400
            let updated: Double? = random.unit() < 0.05 ? nil : created + (now - created) * random.unit()
            let disabled = random.unit() < 0.12
            let limits: [Double?] = [nil, nil, nil, 0, 5, 10, 50, 100, 1000, 50]
            let limit = limits[random.below(limits.count)]
            let used = random.unit() > 0.2
            let usage = used ? (random.unit() * random.unit() * 200 * usageScale * 1e8).rounded() / 1e8 : 0
            let monthly = used ? (usage * random.unit() * 1e8).rounded() / 1e8 : 0
            let byok = used && random.unit() < 0.25 ? (random.unit() * 30 * usageScale * 1e8).rounded() / 1e8 : 0
            func iso(_ seconds: Double, _ style: Int) -> String {
                let text = Timestamp.format(Date(timeIntervalSince1970: seconds))
                return style == 0 ? text : String(text.dropLast()) + ".123456+00:00"
            }
            var fields = [
                "\"hash\":\"\(hash)\"",
                "\"name\":\"\(teams[random.below(teams.count)])-\(stages[random.below(stages.count)])-\(index)\"",
                "\"label\":\"sk-or-v1-\(hash.prefix(3))...\(hash.suffix(3))\"",
                "\"disabled\":\(disabled)",
                "\"limit\":\(limit.map { String(Int($0)) } ?? "null")",
                "\"limit_remaining\":\(limit.map { String(max(0, $0 - monthly)) } ?? "null")",
                "\"limit_reset\":\(limit == nil ? "null" : ["null", "\"daily\"", "\"weekly\"", "\"monthly\""][random.below(4)])",
                "\"include_byok_in_limit\":\(random.unit() < 0.5)",
                "\"usage\":\(usage)", "\"usage_daily\":0", "\"usage_weekly\":\((monthly / 3 * 1e8).rounded() / 1e8)",
                "\"usage_monthly\":\(monthly)", "\"byok_usage\":\(byok)", "\"byok_usage_daily\":0",
                "\"byok_usage_weekly\":0", "\"byok_usage_monthly\":0.0",
                "\"created_at\":\"\(iso(created, index % 2))\"",
                "\"updated_at\":\(updated.map { "\"\(iso($0, (index + 1) % 2))\"" } ?? "null")",
                "\"creator_user_id\":\"user_\(String(format: "%024x", random.below(40)))\"",
                "\"workspace_id\":\"\(workspaces[random.unit() < 0.7 ? 0 : 1])\"",
            ]
            let roll = random.unit()
            if roll < 0.2 {
                fields.append("\"expires_at\":null")
            } else if roll < 0.5 {
                fields.append("\"expires_at\":\"\(iso(now + (random.unit() * 460 - 60) * 86_400, 0))\"")
            }
            if random.unit() < 0.6 {
                fields.append("\"last_used_at\":\(used ? "\"\(iso(now - random.unit() * 200 * 86_400, 0))\"" : "null")")
            }
            lines.append("{" + fields.joined(separator: ",") + "}")
        }
        return lines
    }

    /// Writes `snap.json` (a GET /keys body) and `prev.json` (an object with `keys`, 0.5% fewer keys, less usage)
    /// for `count` keys into `folder`, unless they are there already.
    static func ensureData(count: Int, in folder: String, now: Double) throws -> (current: String, previous: String) {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let current = (folder as NSString).appendingPathComponent("snap.json")
        let previous = (folder as NSString).appendingPathComponent("prev.json")
        if FileManager.default.fileExists(atPath: current), FileManager.default.fileExists(atPath: previous) {
            return (current, previous)
        }
        let now_ = keys(count: count, seed: 11, now: now)
        try Data(("{\"data\": [" + now_.joined(separator: ",\n") + "]}\n").utf8).write(
            to: URL(fileURLWithPath: current))
        let before = keys(count: count, seed: 11, now: now, usageScale: 0.97).dropFirst(count / 200)
        try Data(("{\"keys\": [" + before.joined(separator: ",\n") + "]}\n").utf8).write(
            to: URL(fileURLWithPath: previous))
        return (current, previous)
    }
}
