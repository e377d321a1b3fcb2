import Foundation
import Testing

@testable import KeyAuditCore

/// `NSString.deletingLastPathComponent` traps on one-character paths in swift-corelibs-foundation (`m`, `.`,
/// `./`, `a//`), which users type: `PathText` replaces it, and this suite keeps it out of Sources.
@Suite("Path text")
struct PathTextTests {
    @Test("parent(of:) answers what Foundation answers where it does not trap, and never traps")
    func parents() {
        let cases: [(String, String)] = [
            ("a/b", "a"), ("a/b/", "a"), ("/m", "/"), ("./m", "."), ("ab", ""), ("/", "/"), ("/root/", "/"),
            ("./.", "."), ("/a//b", "/a"), ("", ""),
            // Where Foundation traps: the same rule (drop trailing slashes, then the last component).
            ("m", ""), (".", ""), ("./", ""), ("a/", ""), ("m/", ""), ("a//", ""), ("//", "/"),
        ]
        for (path, parent) in cases {
            #expect(PathText.parent(of: path) == parent, "\(path)")
        }
        #expect(PathText.folder(of: "m") == "." && PathText.folder(of: "runs/m") == "runs")
    }

    @Test("no source file calls NSString's deletingLastPathComponent")
    func sourcesAvoidTheTrap() throws {
        let sources = CheckedConversionTests.root.appendingPathComponent("Sources")
        var offenders: [String] = []
        for case let file as String in FileManager.default.enumerator(atPath: sources.path) ?? .init()
        where file.hasSuffix(".swift") {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where line.contains(".deletingLastPathComponent") && !line.contains(".deletingLastPathComponent()")
                && !line.trimmingCharacters(in: .whitespaces).hasPrefix("///")
            {
                offenders.append("Sources/\(file):\(number + 1)")
            }
        }
        #expect(offenders.isEmpty, "use PathText.parent(of:) or PathText.folder(of:): \(offenders)")
    }

    @Test("one-character paths through the binary: --metrics-file m, --previous snapshot.json, plan . --output p")
    func oneCharacterPaths() async throws {
        let work = TemporaryFolder("one-char")
        /// keyaudit with `arguments`, from the folder `cwd` inside `work`.
        func keyaudit(in cwd: String, _ arguments: String) async throws -> CLIResult {
            try await CLI.run(
                ["-c", "cd \"$1\" && shift && exec \"$0\" \"$@\"", CLI.binary, work.url(cwd)]
                    + arguments.split(separator: " ").map(String.init),
                shell: true)
        }
        try FileManager.default.createDirectory(atPath: work.url("w"), withIntermediateDirectories: true)
        let first = try await keyaudit(in: "w", "run --demo -o o --metrics-file m --now 2026-11-01T00:00:00Z -q")
        #expect(first.status == 0 && !first.signalled, "\(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: work.url("w/m")))
        let run = "w/o/20261101T000000Z"
        let again = try await keyaudit(
            in: run, "run --demo --previous snapshot.json -o ../../o2 --now 2026-11-02T00:00:00Z -q")
        #expect(again.status == 0 && !again.signalled, "\(again.stderr)")
        let here = try await keyaudit(in: run, "run --demo --previous . -o ../../o3 --now 2026-11-02T00:00:00Z -q")
        #expect(here.status == 0 && !here.signalled, "\(here.stderr)")
        // A plan written beside the run folder's parent: `p` is refused only for not ending in .json (64).
        let plan = try await keyaudit(in: run, "plan . --output p")
        #expect(plan.status == 64 && !plan.signalled, "\(plan.stderr)")
        #expect(plan.stderr.split(separator: "\n").count == 1, "\(plan.stderr)")
    }
}
