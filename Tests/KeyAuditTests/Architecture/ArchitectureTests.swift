import Foundation
import Testing

@testable import KeyAuditAPI
@testable import KeyAuditAudit
@testable import KeyAuditCore
@testable import KeyAuditDiff
@testable import KeyAuditSnapshot

/// The house rules the compiler cannot see on its own: dependencies follow the pipeline, every public
/// declaration is documented library API, and the rule mask holds any number of rules.
@Suite("Architecture")
struct ArchitectureTests {
    /// The pipeline, in the order data flows; each stage may use the ones before it, never after.
    static let pipeline = [
        "KeyAuditCore", "KeyAuditAPI", "KeyAuditSnapshot", "KeyAuditAudit", "KeyAuditDiff", "KeyAuditRemediation",
        "KeyAuditReport", "KeyAuditRun",
    ]
    /// Leaves beside the pipeline, and where their sources live.
    static let folders = [
        "KeyAuditCore": "Core", "KeyAuditAPI": "API", "KeyAuditSnapshot": "Snapshot", "KeyAuditAudit": "Audit",
        "KeyAuditDiff": "Diff", "KeyAuditRemediation": "Remediation", "KeyAuditReport": "Report", "KeyAuditRun": "Run",
        "KeyAuditSampleAccount": "SampleAccount", "KeyAuditTestSupport": "TestSupport", "KeyAuditCLI": "keyaudit",
        "KeyAuditBench": "keyaudit-bench", "KeyAudit": "KeyAudit", "KeyAuditFuzzing": "Fuzzing",
    ]

    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/"
            && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path)
        {
            url.deleteLastPathComponent()
        }
        return url
    }()

    /// The keyaudit targets each target declares in Package.swift.
    static func declaredDependencies() throws -> [String: Set<String>] {
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        var result: [String: Set<String>] = [:]
        // `.target(name: "X", dependencies: [ … ]` and the executable/test forms, up to the closing bracket.
        let pattern = try NSRegularExpression(
            pattern:
                #"\.(?:target|executableTarget|testTarget)\(\s*name:\s*"([A-Za-z]+)"\s*,\s*dependencies:\s*\[(.*?)\]"#,
            options: [.dotMatchesLineSeparators])
        let range = NSRange(manifest.startIndex..., in: manifest)
        for match in pattern.matches(in: manifest, range: range) {
            let name = String(manifest[Range(match.range(at: 1), in: manifest)!])
            let list = String(manifest[Range(match.range(at: 2), in: manifest)!])
            let quoted = try NSRegularExpression(pattern: #"^\s*"(KeyAudit[A-Za-z]*)""#, options: [.anchorsMatchLines])
            var names = Set<String>()
            for item in list.split(separator: ",") {
                let text = String(item)
                if let hit = quoted.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) {
                    names.insert(String(text[Range(hit.range(at: 1), in: text)!]))
                }
            }
            result[name] = names
        }
        return result
    }

    @Test("Package.swift declares the pipeline one way: a stage depends only on the stages before it and the leaves")
    func manifestFollowsThePipeline() throws {
        let declared = try Self.declaredDependencies()
        for (index, stage) in Self.pipeline.enumerated() {
            let allowed = Set(Self.pipeline.prefix(index)).union(["KeyAuditSampleAccount"])
            let uses = try #require(declared[stage], "\(stage) is not in Package.swift")
            #expect(uses.isSubset(of: allowed), "\(stage) depends on a later stage: \(uses.subtracting(allowed))")
        }
        #expect(declared["KeyAuditSampleAccount"] == ["KeyAuditCore"])
        #expect(declared["KeyAuditTestSupport"]?.contains("KeyAuditRun") == false)
    }

    @Test("no source file imports a keyaudit module its target does not declare (so none imports a later stage)")
    func importsFollowTheManifest() throws {
        let declared = try Self.declaredDependencies()
        var problems: [String] = []
        for (target, folder) in Self.folders {
            let directory = Self.root.appendingPathComponent("Sources").appendingPathComponent(folder)
            let allowed = (declared[target] ?? []).union([target])
            guard let files = FileManager.default.enumerator(atPath: directory.path) else { continue }
            for case let file as String in files where file.hasSuffix(".swift") {
                let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") {
                    let words = line.split(separator: " ")
                    guard let index = words.firstIndex(of: "import"), index + 1 < words.count else { continue }
                    let module = String(words[index + 1])
                    if module.hasPrefix("KeyAudit"), !allowed.contains(module) {
                        problems.append("Sources/\(folder)/\(file) imports \(module), which \(target) does not declare")
                    }
                }
            }
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test("every public declaration is documented: public means library API")
    func publicDeclarationsAreDocumented() throws {
        // Members a protocol requires are documented by the protocol.
        let exempt = try NSRegularExpression(
            pattern:
                #"public (static func (==|<)|func hash\(into|var description|var debugDescription|typealias (Element|Index|Indices)|var (startIndex|endIndex)|subscript\(position|init\((nilLiteral|booleanLiteral|integerLiteral|stringLiteral|arrayLiteral|dictionaryLiteral))"#
        )
        var undocumented: [String] = []
        let sources = Self.root.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(atPath: sources.path)
        while let file = files?.nextObject() as? String {
            guard file.hasSuffix(".swift") else { continue }
            let lines = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false).map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
            for (index, line) in lines.enumerated() where line.hasPrefix("public ") {
                if exempt.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil { continue }
                var above = index - 1
                while above >= 0 && lines[above].hasPrefix("@") { above -= 1 }
                if above < 0 || !lines[above].hasPrefix("///") {
                    undocumented.append("Sources/\(file):\(index + 1): \(line)")
                }
            }
        }
        #expect(undocumented.isEmpty, "\(undocumented.joined(separator: "\n"))")
    }

    @Test("a rule set holds any number of rules: positions past 16 and 64 are kept, compared and listed")
    func ruleSetOfAnySize() {
        var set = RuleSet()
        #expect(set.isEmpty)
        for position in [0, 15, 16, 63, 64, 69, 200] { set.insert(position) }
        #expect(set.positions == [0, 15, 16, 63, 64, 69, 200])
        #expect(set.contains(69) && set.contains(200) && !set.contains(65) && !set.contains(-1))
        var other = RuleSet()
        for position in [200, 69, 64, 63, 16, 15, 0] { other.insert(position) }
        other.insert(300)
        #expect(other != set)
        var trimmed = RuleSet()
        trimmed.insert(1)
        var grown = RuleSet()
        grown.insert(1)
        grown.insert(130)
        #expect(grown != trimmed)
    }

    /// 70 rules: keyaudit's 12 and 58 more that each match every enabled key, so the last ones sit past any
    /// 16- or 64-bit mask.
    static func seventyRules() -> [Rule] {
        let extra = (1...58).map { number in
            Rule(
                id: "extra-\(number)", scope: .key, defaultSeverity: .low, severityNote: nil, title: "Extra \(number)",
                risk: "A test rule.", remediation: "None.", evidenceFields: [],
                evaluate: { input in
                    input.key.isEnabled ? RuleMatch(severity: nil, message: "extra \(number)", evidence: []) : nil
                })
        }
        return RuleCatalog.all + extra
    }

    @Test("with 70 rules, first_seen, persisting and resolved findings hold for the 70th rule as for the first")
    func seventyRulesKeepTheirHistory() throws {
        let rules = Self.seventyRules()
        let positions = RulePositions(rules)
        let now = Timestamp.date("2026-11-26T03:00:00Z")!
        let yesterday = now.addingTimeInterval(-86_400)
        func key(_ number: Int, disabled: Bool) -> KeyRecord {
            KeyRecord(
                JSONObject([
                    ("hash", .string(String(repeating: String(number), count: 64))), ("name", .string("key-\(number)")),
                    ("disabled", .bool(disabled)), ("limit", .int(10)), ("limit_reset", .string("monthly")),
                    ("created_at", .string("2026-11-01T00:00:00Z")), ("updated_at", .string("2026-11-20T00:00:00Z")),
                ]))
        }
        func snapshot(_ keys: [KeyRecord], at date: Date) -> Snapshot {
            Snapshot(
                takenAt: date, source: "test", workspaces: [], coverage: Coverage(mode: .allWorkspaces), previous: nil,
                keys: keys)
        }
        // Key 1 is enabled on both days (every extra rule persists); key 2 is disabled today (resolved).
        let before = snapshot([key(1, disabled: false), key(2, disabled: false)], at: yesterday)
        let today = snapshot([key(1, disabled: false), key(2, disabled: true)], at: now)
        let previous = PreviousSnapshot(before, policy: Policy(), now: yesterday, against: today, rules: positions)
        let audit = Auditor.audit(
            today, history: AuditHistory(keys: previous), policy: Policy(), now: now, rules: rules)
        let last = try #require(audit.findings.first { $0.id == "extra-58:\(String(repeating: "1", count: 64))" })
        #expect(last.status == .persisting)
        #expect(last.firstSeen == yesterday)
        #expect(last.message == "extra 58")
        let diff = SnapshotDiff.compare(
            previous: previous, from: .init(path: "a", takenAt: yesterday, sha256: ""), previousFirstSeen: nil,
            current: today, to: .init(path: "b", takenAt: now, sha256: ""), audit: audit)
        let resolved = Set(diff.findings.resolved)
        for number in [1, 17, 53, 58] {
            #expect(resolved.contains("extra-\(number):\(String(repeating: "2", count: 64))"), "extra-\(number)")
        }
        #expect(diff.findings.persisting.contains("extra-58:\(String(repeating: "1", count: 64))"))
        #expect(previous.findingIDs.count == 2 * 58)
    }
}
