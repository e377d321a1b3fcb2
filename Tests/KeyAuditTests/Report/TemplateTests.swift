import Foundation
import Testing

@testable import KeyAuditAPI
@testable import KeyAuditAudit
@testable import KeyAuditCore
@testable import KeyAuditDiff
@testable import KeyAuditReport
@testable import KeyAuditRun
@testable import KeyAuditSampleAccount
@testable import KeyAuditSnapshot
@testable import KeyAuditTestSupport

/// The default templates, the view model they read, user overrides, and template and layout errors.
@Suite("Report templates")
struct TemplateTests {
    fileprivate static let pragma = "{{% CONTENT_TYPE: MARKDOWN}}"

    /// The files of the top-level templates/ folder, by name.
    fileprivate static func folderTemplates() throws -> [String: Data] {
        let folder = GoldenReportFixture.templatesFolder()
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path)
        where name.hasSuffix(".mustache") || name.hasSuffix(".yml") {
            files[name] = try Data(contentsOf: folder.appendingPathComponent(name))
        }
        return files
    }

    // MARK: - Defaults

    @Test("every default Markdown template and partial starts with the MARKDOWN content type")
    func markdownTemplatesDeclareTheirContentType() throws {
        let files = try Self.folderTemplates()
        let markdown = files.keys.filter { $0.hasSuffix(".md.mustache") }.sorted()
        #expect(markdown.count >= 7)
        for name in markdown {
            let text = String(decoding: files[name]!, as: UTF8.self)
            #expect(text.hasPrefix(Self.pragma + "\n"), "templates/\(name) does not start with \(Self.pragma)")
        }
        for (name, text) in EmbeddedTemplates.files where name.hasSuffix(".md.mustache") {
            #expect(text.hasPrefix(Self.pragma), "built-in \(name) does not start with \(Self.pragma)")
        }
    }

    @Test("the built-in templates equal the files in templates/ byte for byte")
    func embeddedTemplatesMatchTheFolder() throws {
        let files = try Self.folderTemplates()
        let embedded = EmbeddedTemplates.files
        #expect(
            Set(embedded.keys) == Set(files.keys),
            "built-in templates \(embedded.keys.sorted()) differ from templates/ \(files.keys.sorted()); run `make templates`"
        )
        for (name, data) in files {
            guard let text = embedded[name] else { continue }
            #expect(
                Data(text.utf8) == data,
                "built-in \(name) differs from templates/\(name); run `make templates` to regenerate EmbeddedTemplates.swift"
            )
        }
    }

    // MARK: - Names used by the templates exist in the view model

    /// What the view model holds, with list elements merged (so a field present on any element counts).
    fileprivate indirect enum Shape {
        case object([String: Shape])
        case list(Shape)
        case scalar

        static func of(_ value: Any) -> Shape {
            switch value {
            case let dictionary as [String: Any]:
                return .object(dictionary.mapValues(Shape.of))
            case let rows as KeyRows:
                return .list(rows.reduce(Shape.scalar) { $0.merged(with: .of($1)) })
            case let array as [Any]:
                return .list(array.reduce(Shape.scalar) { $0.merged(with: .of($1)) })
            default:
                return .scalar
            }
        }

        func merged(with other: Shape) -> Shape {
            switch (self, other) {
            case (.object(let a), .object(let b)): return .object(a.merging(b) { $0.merged(with: $1) })
            case (.list(let a), .list(let b)): return .list(a.merged(with: b))
            case (.scalar, _): return other
            default: return self
            }
        }

        func child(_ name: String) -> Shape? {
            if case .object(let fields) = self { return fields[name] }
            return nil
        }

        /// The context a section over this value renders its content with.
        var sectionContext: Shape {
            if case .list(let element) = self { return element }
            return self
        }
    }

    /// A tag of a template: `{{name}}`, `{{#name}}`…, with where it is.
    fileprivate struct Tag {
        var kind: Character?  // nil for a variable; # ^ / > & { ! % $ < =
        var name: String
        var line: Int
    }

    fileprivate static func tags(_ text: String) -> [Tag] {
        var tags: [Tag] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            let line = text[..<open.lowerBound].filter { $0 == "\n" }.count + 1
            var body = rest[open.upperBound...]
            var triple = false
            if body.first == "{" {
                triple = true
                body = body.dropFirst()
            }
            guard let close = body.range(of: triple ? "}}}" : "}}") else { break }
            var content = body[..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            var kind: Character? = triple ? "{" : nil
            if !triple, let first = content.first, "#^/>&!%$<=".contains(first) {
                kind = first
                content = String(content.dropFirst()).trimmingCharacters(in: .whitespaces)
            }
            tags.append(Tag(kind: kind, name: content, line: line))
            rest = body[close.upperBound...]
        }
        return tags
    }

    /// Every name a template (and the partials it includes) uses that does not resolve against the view model,
    /// resolving like swift-mustache: the first part of a dotted name up the context stack, the rest inside it.
    fileprivate static func unresolvedNames(
        template name: String, in templates: [String: String], model: Shape
    ) -> [String] {
        var problems: [String] = []
        func resolve(_ name: String, _ stack: [Shape]) -> Shape? {
            if name == "." { return stack.last }
            let parts = name.split(separator: ".").map(String.init)
            guard let first = parts.first else { return nil }
            guard var value = stack.reversed().lazy.compactMap({ $0.child(first) }).first else { return nil }
            for part in parts.dropFirst() {
                guard let next = value.child(part) else { return nil }
                value = next
            }
            return value
        }
        func walk(_ file: String, _ stack: [Shape], _ visiting: [String]) {
            guard let text = templates[file] else {
                problems.append("\(visiting.last ?? file): partial \(file) does not exist")
                return
            }
            guard !visiting.contains(file) else { return }
            var stack = stack
            var open: [String] = []
            for tag in tags(text) {
                let place = "templates/\(file):\(tag.line)"
                switch tag.kind {
                case "!", "%": continue
                case "=", "$", "<":
                    problems.append("\(place): unsupported tag {{\(tag.kind!)\(tag.name)}} in a default template")
                case ">":
                    walk(tag.name + ".mustache", stack, visiting + [file])
                case "#", "^":
                    guard let value = resolve(tag.name, stack) else {
                        problems.append("\(place): section {{\(tag.kind!)\(tag.name)}} is not in the view model")
                        stack.append(.scalar)
                        open.append(tag.name)
                        continue
                    }
                    // An inverted section renders in the current context; a section in its value's.
                    stack.append(tag.kind == "#" ? value.sectionContext : .scalar)
                    open.append(tag.name)
                case "/":
                    if open.last != tag.name {
                        problems.append("\(place): {{/\(tag.name)}} closes \(open.last ?? "nothing")")
                    } else {
                        open.removeLast()
                        stack.removeLast()
                    }
                default:
                    if resolve(tag.name, stack) == nil {
                        problems.append("\(place): {{\(tag.name)}} is not in the view model")
                    }
                }
            }
            if !open.isEmpty { problems.append("templates/\(file): unclosed sections \(open)") }
        }
        walk(name, [model], [])
        return problems
    }

    /// A context in which every optional part of the view model is present: previous snapshot, diff with every
    /// kind of change, a broken chain, suppressed and unsuppressed findings, suppressions of every state.
    fileprivate static func richModel() throws -> [String: Any] {
        var context = GoldenReportFixture.context(brokenChain: true)
        context.rowLimit = 0
        context.diagnostics = [Diagnostic(stage: "previous", message: "previous run 20261124T030000Z is unusable")]
        context.history = GoldenReportFixture.history()
        var model = ReportViewModel.build(context)
        // The "truncated" notes appear only when lists are cut: take them from a build that cuts every list.
        context.rowLimit = 1
        let cut = ReportViewModel.build(context)
        model["findings_truncated"] = cut["findings_truncated"]
        if var applied = model["applied"] as? [String: Any] {
            applied["truncated"] = (cut["applied"] as? [String: Any])?["truncated"]
            model["applied"] = applied
        }
        model["keys_truncated"] = cut["keys_truncated"]
        // List elements are merged by the shape: the cut groups bring `more`, the cut owners their notes.
        model["findings_by_rule"] =
            (model["findings_by_rule"] as? [[String: Any]] ?? []) + (cut["findings_by_rule"] as? [[String: Any]] ?? [])
        var owners = try #require(model["owners"] as? [String: Any])
        let cutOwners = try #require(cut["owners"] as? [String: Any])
        owners["by_workspace_truncated"] = cutOwners["by_workspace_truncated"]
        owners["by_creator_truncated"] = cutOwners["by_creator_truncated"]
        model["owners"] = owners
        for name in ["broken_chain", "previous", "changes", "applied", "findings_truncated", "keys_truncated"] {
            #expect(model[name] != nil, "the rich context lacks \(name)")
        }
        for name in ["by_workspace_truncated", "by_creator_truncated"] {
            #expect(owners[name] != nil, "the rich context's owners lack \(name)")
        }
        let changes = try #require(model["changes"] as? [String: Any])
        for flag in [
            "has_added", "has_removed", "has_changed", "has_top_spenders", "has_counter_resets", "has_new_findings",
            "has_resolved_findings",
        ] {
            #expect(changes[flag] as? Bool == true, "the rich context's changes have no \(flag)")
        }
        let suppressions = try #require(model["suppressions"] as? [String: Any])
        for state in ["active", "expiring_soon", "expired", "unmatched"] {
            #expect((suppressions[state] as? [Any])?.isEmpty == false, "the rich context has no \(state) suppression")
        }
        let groups = try #require(model["findings_by_rule"] as? [[String: Any]])
        let rows = groups.flatMap { $0["rows"] as? [[String: Any]] ?? [] }
        #expect(rows.contains { $0["suppression"] != nil })
        #expect(rows.contains { $0["key_hash"] as? String == "" }, "no whole-snapshot finding")
        #expect(groups.contains { $0["more"] != nil })
        let trend = try #require(model["trend"] as? [String: Any])
        #expect((trend["charts"] as? [Any])?.count == 3)
        #expect(((model["scope"] as? [String: Any])?["notes"] as? [String])?.isEmpty == false)
        return model
    }

    @Test("every name the default templates use exists in the view model", arguments: ["report.md", "report.html"])
    func defaultTemplatesNameOnlyViewModelFields(report: String) throws {
        let model = Shape.of(try Self.richModel())
        let templates = EmbeddedTemplates.files.filter { $0.key.hasSuffix(".mustache") }
        let problems = Self.unresolvedNames(template: report + ".mustache", in: templates, model: model)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test("every field of the view model is documented in templates/README.md")
    func everyFieldIsDocumented() throws {
        let readme = try String(
            contentsOf: GoldenReportFixture.templatesFolder().appendingPathComponent("README.md"), encoding: .utf8)
        var names = Set<String>()
        func collect(_ shape: Shape) {
            switch shape {
            case .object(let fields):
                for (name, child) in fields {
                    names.insert(name)
                    collect(child)
                }
            case .list(let element): collect(element)
            case .scalar: break
            }
        }
        collect(Shape.of(try Self.richModel()))
        let undocumented = names.filter { !readme.contains("`\($0)`") }.sorted()
        #expect(names.count > 150)
        #expect(undocumented.isEmpty, "view-model fields missing from templates/README.md: \(undocumented)")
    }

    @Test("every default template is reached from a report, so the name check covers it")
    func everyTemplateIsChecked() {
        var reached = Set<String>()
        func visit(_ file: String) {
            guard reached.insert(file).inserted, let text = EmbeddedTemplates.files[file] else { return }
            for tag in Self.tags(text) where tag.kind == ">" { visit(tag.name + ".mustache") }
        }
        visit("report.md.mustache")
        visit("report.html.mustache")
        let all = Set(EmbeddedTemplates.files.keys.filter { $0.hasSuffix(".mustache") })
        #expect(all.subtracting(reached).isEmpty, "templates no report includes: \(all.subtracting(reached).sorted())")
    }

    @Test("the name check catches a field the view model does not have")
    func nameCheckCatchesUnknownFields() throws {
        let model = Shape.of(try Self.richModel())
        let templates = [
            "bad.mustache":
                "{{summary.keys}} {{summary.total_cost}}\n{{#findings_by_rule}}{{#rows}}{{key_name}} {{severity_colour}}{{/rows}}{{/findings_by_rule}}\n{{#changes}}{{#added}}{{name}}{{/added}}{{/changes}}\n{{> missing}}\n{{#nope}}{{/nope}}\n{{#keys}}{{run_name}} {{hash_short}}{{/keys}}\n"
        ]
        let problems = Self.unresolvedNames(template: "bad.mustache", in: templates, model: model)
        #expect(problems.count == 4, "\(problems)")
        #expect(problems.contains { $0.contains("{{summary.total_cost}}") })
        #expect(problems.contains { $0.contains("{{severity_colour}}") })
        #expect(problems.contains { $0.contains("missing.mustache") })
        #expect(problems.contains { $0.contains("{{#nope}}") })
    }

    // MARK: - Overrides

    @Test("a user template overrides one file; every other part stays the default")
    func userOverrideReplacesOneFile() throws {
        let overrides = try GoldenReportFixture.scratchFolder("override")
        defer { try? FileManager.default.removeItem(at: overrides) }
        // No pragma on purpose: keyaudit adds the Markdown content type to any .md template.
        let custom =
            "## Findings, our way\n\n{{#findings_by_rule}}\n{{#rows}}\n- {{rule}} on {{key_name}} ({{severity}})\n{{/rows}}\n{{/findings_by_rule}}\n"
        let overridePath = overrides.appendingPathComponent("findings.md.mustache")
        try Data(custom.utf8).write(to: overridePath)

        let templates = try ReportTemplates.load(overrides: overrides.path, formats: [.md, .html])
        #expect(templates.origins["findings.md"] == overridePath.path)
        #expect(templates.origins["summary.md"]?.hasPrefix("built-in") == true)
        #expect(templates.origins["findings.html"]?.hasPrefix("built-in") == true)

        let context = GoldenReportFixture.context(names: ["6": "near|ly *out*"])
        let custom1 = try GoldenReportFixture.render(
            context, formats: [.md, .html], overrides: overrides.path, label: "ovr")
        let defaults = try GoldenReportFixture.render(context, formats: [.md, .html], label: "def")
        defer {
            try? FileManager.default.removeItem(at: custom1)
            try? FileManager.default.removeItem(at: defaults)
        }
        let markdown = try GoldenReportFixture.text(custom1, .md)
        let standard = try GoldenReportFixture.text(defaults, .md)
        #expect(markdown.contains("## Findings, our way"))
        #expect(markdown.contains("- stale-key on prod-backend (medium)"))
        #expect(
            !markdown.contains("| Key | Workspace | Owner | Evidence | Status |"),
            "the default findings table is still there")
        // The override is escaped as Markdown, not HTML.
        #expect(markdown.contains("- limit-nearly-exhausted on near\\|ly \\*out\\* (medium)"))
        // Everything before and after the findings section is the default's, byte for byte.
        let before = try #require(standard.range(of: "## Findings by rule\n")).lowerBound
        let after = try #require(standard.range(of: "## Changes since the previous run")).lowerBound
        #expect(markdown.hasPrefix(standard[..<before]))
        #expect(markdown.hasSuffix(standard[after...]))
        // The HTML report is untouched.
        #expect(
            try Data(contentsOf: custom1.appendingPathComponent("report.html"))
                == Data(contentsOf: defaults.appendingPathComponent("report.html")))
    }

    @Test("--templates that is not a folder is a usage error")
    func overrideFolderMustExist() {
        let missing = "/nonexistent/keyaudit-templates-\(UUID().uuidString)"
        #expect(throws: KeyAuditError.self) { try ReportTemplates.load(overrides: missing, formats: [.md]) }
        do {
            _ = try ReportTemplates.load(overrides: missing, formats: [.md])
        } catch {
            guard case .usage(let message) = error else {
                Issue.record("expected a usage error, got \(error)")
                return
            }
            #expect(message.contains(missing))
        }
    }

    // MARK: - Template errors

    /// Loads `files` as overrides and returns the usage message thrown, recording an issue otherwise.
    fileprivate static func usageMessage(
        _ files: [String: String], formats: [ReportFormat] = [.md, .html, .xlsx]
    ) throws -> (message: String?, folder: URL) {
        let folder = try GoldenReportFixture.scratchFolder("bad-template")
        for (name, text) in files { try Data(text.utf8).write(to: folder.appendingPathComponent(name)) }
        do {
            _ = try ReportTemplates.load(overrides: folder.path, formats: formats)
            Issue.record("loading \(files.keys.sorted()) did not throw")
            return (nil, folder)
        } catch {
            guard case .usage(let message) = error else {
                Issue.record("expected KeyAuditError.usage, got \(error)")
                return (nil, folder)
            }
            #expect(error.exitCode == 64)
            return (message, folder)
        }
    }

    @Test("a template with a syntax error is a usage error naming file, line and column")
    func syntaxErrorNamesFileLineAndColumn() throws {
        // A section closed with the wrong name on line 3, column 10 (the tag starts at column 3).
        let (message, folder) = try Self.usageMessage([
            "summary.html.mustache":
                "<section>\n{{#summary.by_rule}}\n<p>{{rule}}{{/summary.by_severity}}</p>\n</section>\n"
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = try #require(message)
        let path = folder.appendingPathComponent("summary.html.mustache").path
        #expect(text.hasPrefix("\(path):3:"), "\(text)")
        let match = try #require(text.firstMatch(of: try Regex(#":3:([0-9]+): "#)), "no column in \(text)")
        let column = Int(match.output[1].substring ?? "") ?? 0
        #expect((1...40).contains(column), "column \(column) is not on the line: \(text)")
    }

    @Test("a syntax error in a Markdown template without the pragma is reported where it is in the file")
    func markdownSyntaxErrorPositionIgnoresTheAddedPragma() throws {
        // keyaudit prepends the pragma to this file; the position must still be the file's own.
        let (message, folder) = try Self.usageMessage(["summary.md.mustache": "{{#summary}}{{/keys}}\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = try #require(message)
        let path = folder.appendingPathComponent("summary.md.mustache").path
        let other = try Self.usageMessage(["summary.html.mustache": "{{#summary}}{{/keys}}\n"])
        defer { try? FileManager.default.removeItem(at: other.folder) }
        let htmlText = try #require(other.message)
        // The same text in an HTML template (no pragma added) gives the reference line and column.
        let reference = try #require(htmlText.firstMatch(of: try Regex(#"mustache:([0-9]+:[0-9]+):"#)))
        let place = String(reference.output[1].substring ?? "")
        #expect(text.hasPrefix("\(path):\(place):"), "expected \(path):\(place): but got \(text)")
    }

    @Test("an unclosed section in an overriding report.md is a usage error naming the override")
    func unclosedSectionIsAUsageError() throws {
        let (message, folder) = try Self.usageMessage(["report.md.mustache": "{{#a}}\n"], formats: [.md])
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = try #require(message)
        #expect(text.contains(folder.appendingPathComponent("report.md.mustache").path))
    }

    // MARK: - report.xlsx.yml errors

    /// The default layout with one line replaced.
    fileprivate static func layout(replacing old: String, with new: String) throws -> String {
        let text = try #require(EmbeddedTemplates.files[XLSXLayout.fileName])
        #expect(text.contains(old), "the default layout no longer has \(old)")
        return text.replacingOccurrences(of: old, with: new)
    }

    /// The 1-based line of `needle` in `text`.
    fileprivate static func line(of needle: String, in text: String) -> Int? {
        text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(needle) }.map { $0 + 1 }
    }

    fileprivate static func layoutError(_ text: String, name: String = "my/report.xlsx.yml") -> String? {
        do {
            _ = try XLSXLayout.parse(text, name: name)
            Issue.record("the layout parsed without an error")
            return nil
        } catch {
            guard case .usage(let message) = error else {
                Issue.record("expected KeyAuditError.usage, got \(error)")
                return nil
            }
            return message
        }
    }

    @Test("the default layout parses: seven sheets with the documented sources")
    func defaultLayoutParses() throws {
        let layout = try XLSXLayout.parse(
            try #require(EmbeddedTemplates.files[XLSXLayout.fileName]), name: "templates/report.xlsx.yml")
        #expect(
            layout.sheets.map(\.name) == ["Summary", "Findings", "Changes", "Owners", "Trend", "Suppressions", "Keys"])
        #expect(layout.sheets.map(\.source) == [.summary, .findings, .changes, .owners, .trend, .suppressions, .keys])
        #expect(layout.sheets.first { $0.source == .keys }?.freezeColumns == 1)
        #expect(layout.moneyFormat == "$#,##0.00")
    }

    /// One broken line of the layout: the line replaced, its replacement, a text that finds the line, and
    /// words the message must hold.
    struct BrokenLayoutLine: Sendable, CustomTestStringConvertible {
        var old: String
        var new: String
        var marker: String
        var words: String
        var testDescription: String { new }
    }

    @Test(
        "a bad report.xlsx.yml is a usage error naming file and line",
        arguments: [
            BrokenLayoutLine(
                old: "{ header: Usage, field: usage }", new: "{ header: Usage, field: usage_total }",
                marker: "usage_total", words: "\"usage_total\" is not a field of keys"),
            BrokenLayoutLine(
                old: "{ header: Rule, field: rule }", new: "{ header: Rule, field: rule, format: \"0.00\" }",
                marker: "field: rule, format", words: "rule is text"),
            BrokenLayoutLine(
                old: "- name: Keys", new: "- name: \"Keys/2024\"", marker: "Keys/2024", words: "not a valid sheet name"),
            BrokenLayoutLine(
                old: "source: changes", new: "source: history", marker: "source: history",
                words: "\"history\" is not one of summary, findings, keys, changes, suppressions, owners, trend"),
            BrokenLayoutLine(
                old: "{ header: Label, field: label }", new: "{ header: Label, field: label, colour: red }",
                marker: "colour: red", words: "unknown setting \"colour\""),
            BrokenLayoutLine(
                old: "{ header: Usage today, field: usage_daily }",
                new: "{ header: Usage today, field: usage_daily, width: 900 }", marker: "width: 900", words: "width"),
            BrokenLayoutLine(
                old: "date_format: \"yyyy-mm-dd hh:mm:ss\"", new: "date_format: 'yyyy-mm-dd \"hh'",
                marker: "date_format: '", words: "unbalanced quote"),
        ])
    func badLayoutNamesFileAndLine(_ broken: BrokenLayoutLine) throws {
        let text = try Self.layout(replacing: broken.old, with: broken.new)
        let expectedLine = try #require(Self.line(of: broken.marker, in: text))
        let message = try #require(Self.layoutError(text))
        #expect(message.hasPrefix("my/report.xlsx.yml:\(expectedLine):"), "expected line \(expectedLine): \(message)")
        #expect(message.contains(broken.words), "\(message)")
    }

    @Test("a YAML syntax error in the layout names file and line")
    func layoutYAMLSyntaxError() throws {
        let text = "money_format: \"$#,##0.00\"\nsheets:\n  - name: Summary\n    source: [summary\n"
        let message = try #require(Self.layoutError(text))
        #expect(message.hasPrefix("my/report.xlsx.yml:"), "\(message)")
        #expect(message.firstMatch(of: try Regex(#"^my/report\.xlsx\.yml:[0-9]+"#)) != nil, "no line in \(message)")
    }

    @Test("a bad layout in --templates stops loading with the override's path")
    func badLayoutOverrideNamesItsPath() throws {
        let text = try Self.layout(
            replacing: "{ header: Usage, field: usage }", with: "{ header: Usage, field: spend }")
        let expectedLine = try #require(Self.line(of: "field: spend", in: text))
        let (message, folder) = try Self.usageMessage([XLSXLayout.fileName: text])
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent(XLSXLayout.fileName).path
        #expect(message?.hasPrefix("\(path):\(expectedLine):") == true, "\(message ?? "")")
        // Without xlsx among the formats the layout is not read.
        _ = try ReportTemplates.load(overrides: folder.path, formats: [.md, .html])
    }
}

@Suite("Report row limit")
struct ReportRowLimitTests {
    /// Finding rows of a model, over every rule.
    static func findingRows(_ model: [String: Any]) -> [[String: Any]] {
        (model["findings_by_rule"] as? [[String: Any]] ?? []).flatMap { $0["rows"] as? [[String: Any]] ?? [] }
    }

    @Test("long tables are cut in HTML with a note saying where every row is; 0 shows all")
    func rowLimit() throws {
        var context = GoldenReportFixture.context(brokenChain: false)
        let templates = try ReportTemplates.load(overrides: nil, formats: [.md, .html])
        context.rowLimit = 2
        let model = ReportViewModel.build(context)
        #expect(Self.findingRows(model).count == 2)
        let html = try templates.render(.html, model: model)
        #expect(html.contains("every key is in report.xlsx"))
        #expect(html.contains("Showing the first 2 of \(context.snapshot.keys.count) keys"))
        // Rows go to the most severe rules first when there are fewer rows than rules.
        let groups = try #require(model["findings_by_rule"] as? [[String: Any]])
        let shown = groups.filter { ($0["rows"] as? [Any])?.isEmpty == false }.compactMap { $0["rule"] as? String }
        #expect(shown == groups.prefix(2).compactMap { $0["rule"] as? String })
        #expect(html.contains("are in report.xlsx (sheet Findings) and findings.json"))

        context.rowLimit = 0
        let all = ReportViewModel.build(context)
        #expect(Self.findingRows(all).count == context.audit.findings.count)
        #expect(all["findings_truncated"] == nil && all["keys_truncated"] == nil)
    }

    @Test("rows are shared among rules: few findings show in full, the rest split evenly, most severe first")
    func rowBudgetIsFair() {
        func group(_ count: Int, _ position: Int) -> ReportFacts.RuleGroup {
            var group = ReportFacts.RuleGroup(
                rule: "r\(position)", title: "", risk: "", remediation: "", calls: [], severity: .high,
                catalogPosition: position)
            group.unsuppressed = count
            return group
        }
        func budget(_ counts: [Int], rows: Int) -> [Int] {
            let groups = counts.enumerated().map { group($1, $0) }
            var context = GoldenReportFixture.context()
            context.rowLimit = rows
            let profile = ReportViewModel.Profile.html(rowLimit: rows)
            return ReportViewModel.rowBudget(groups, profile: profile)
        }
        #expect(budget([3, 100, 100], rows: 103) == [3, 50, 50])
        #expect(budget([3, 100, 100], rows: 1000) == [3, 100, 100])
        #expect(budget([5, 5, 5, 5], rows: 2) == [1, 1, 0, 0])
        #expect(budget([1, 1000, 1000, 1000], rows: 10) == [1, 3, 3, 3])
        #expect(budget([0, 7], rows: 4) == [0, 4])
    }
}

/// Hostile templates (issue 12, class 9): a missing partial, a partial that includes itself, nesting without end.
@Suite("Template partials")
struct TemplatePartialTests {
    /// Loads `files` as overrides for md and html; the usage message, or nil when they load.
    static func loadError(_ files: [String: String]) throws -> String? {
        let folder = try GoldenReportFixture.scratchFolder("partials")
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, text) in files { try Data(text.utf8).write(to: folder.appendingPathComponent(name)) }
        do {
            _ = try ReportTemplates.load(overrides: folder.path, formats: [.md, .html])
            return nil
        } catch {
            guard case .usage(let message) = error else {
                Issue.record("expected a usage error, got \(error)")
                return nil
            }
            #expect(error.exitCode == 64)
            #expect(!message.contains("\n"))
            return message.replacingOccurrences(of: folder.path + "/", with: "")
        }
    }

    @Test(
        "a partial that does not exist is a usage error naming the template and line",
        arguments: [
            (
                "summary.md.mustache", "## Summary\n{{> sumary.md}}\n",
                "summary.md.mustache:2: partial {{> sumary.md}} does not exist"
            ),
            (
                "report.html.mustache", "<html>\n\n{{>nope}}</html>\n",
                "report.html.mustache:3: partial {{> nope}} does not exist"
            ),
            (
                "findings.md.mustache", "{{=<% %>=}}\n<%> hidden %>\n",
                "findings.md.mustache:2: partial {{> hidden}} does not exist"
            ),
            ("owners.md.mustache", "{{<base}}{{/base}}\n", "owners.md.mustache:1: partial {{< base}} does not exist"),
        ])
    func missingPartial(file: String, text: String, expected: String) throws {
        let message = try #require(try Self.loadError([file: text]))
        #expect(message.hasPrefix(expected), "\(message)")
        #expect(message.contains("add") && message.contains("--templates"))
    }

    @Test(
        "a partial that includes itself, directly or through others, is refused before anything renders",
        arguments: [
            (
                ["summary.md.mustache": "{{#summary}}{{> summary.md}}{{/summary}}\n"],
                "summary.md includes itself (summary.md → summary.md)"
            ),
            (
                [
                    "summary.md.mustache": "{{> loop-a.md}}\n", "loop-a.md.mustache": "a {{> loop-b.md}}\n",
                    "loop-b.md.mustache": "b\n{{> loop-a.md}}\n",
                ],
                "loop-a.md includes itself (loop-a.md → loop-b.md → loop-a.md)"
            ),
            // Delimiters and names separated by tabs or newlines, as swift-mustache reads them (a check that
            // split on spaces only lost the delimiters here and let the renderer recurse until it crashed).
            (["summary.md.mustache": "{{=<%\t%>=}}\nhello <%> summary.md%>\n"], "summary.md includes itself"),
            (["summary.md.mustache": "{{=<%\n%>=}}\n<%>summary.md%>\n"], "summary.md includes itself"),
            (["summary.md.mustache": "{{= <% \u{2003} %> =}}<%>summary.md%>\n"], "summary.md includes itself"),
            (["summary.md.mustache": "{{>\n\tsummary.md\n}}\n"], "summary.md includes itself"),
        ])
    func recursivePartial(files: [String: String], expected: String) throws {
        let message = try #require(try Self.loadError(files))
        #expect(message.contains(expected), "\(message)")
        #expect(message.contains("never end"))
    }

    @Test("a partial that is not reached by a report is not checked; a dynamic partial is refused")
    func reachabilityAndDynamicPartials() throws {
        #expect(try Self.loadError(["unused.md.mustache": "{{> nowhere}}\n"]) == nil)
        let dynamic = try #require(try Self.loadError(["summary.md.mustache": "{{>*key_name}}\n"]))
        #expect(dynamic.contains("dynamic partial"), "\(dynamic)")
    }

    @Test("nesting and size are bounded before the template is parsed")
    func boundedNesting() throws {
        let deep = String(repeating: "{{#a}}", count: 10_000) + String(repeating: "{{/a}}", count: 10_000)
        let message = try #require(try Self.loadError(["summary.md.mustache": deep]))
        #expect(message.hasPrefix("summary.md.mustache:1: sections nested more than 64 deep"), "\(message)")
        let chain = (0..<40).reduce(into: [String: String]()) { files, index in
            files["chain\(index).md.mustache"] = "{{> chain\(index + 1).md}}\n"
        }
        var files = chain
        files["chain40.md.mustache"] = "end\n"
        files["summary.md.mustache"] = "{{> chain0.md}}\n"
        let tooDeep = try #require(try Self.loadError(files))
        #expect(tooDeep.contains("partials included more than 32 deep"), "\(tooDeep)")
        let huge = String(repeating: "x", count: (1 << 20) + 1)
        let big = try #require(try Self.loadError(["summary.md.mustache": huge]))
        #expect(big.contains("larger than 1024 KiB"), "\(big)")
    }

    @Test("lists nested inside lists stop at the render budget (64); the shipped templates render well within it")
    func renderBudget() throws {
        let model = ReportViewModel.build(GoldenReportFixture.context(brokenChain: false))
        let shipped = try ReportTemplates.load(overrides: nil, formats: [.md, .html])
        for format in [ReportFormat.md, .html] {
            #expect(throws: Never.self) { try shipped.render(format, model: model, limit: 5_000) }
        }
        let folder = try GoldenReportFixture.scratchFolder("budget")
        defer { try? FileManager.default.removeItem(at: folder) }
        let nested =
            "{{#findings_by_rule}}{{#rows}}" + String(repeating: "{{#keys}}", count: 4) + "x"
            + String(repeating: "{{/keys}}", count: 4) + "{{/rows}}{{/findings_by_rule}}"
        try Data(nested.utf8).write(to: folder.appendingPathComponent("report.html.mustache"))
        let hostile = try ReportTemplates.load(overrides: folder.path, formats: [.html])
        do {
            _ = try hostile.render(.html, model: model, limit: 5_000)
            Issue.record("a template rendering lists inside lists was not stopped")
        } catch {
            guard case .usage(let message) = error else { throw error }
            #expect(message.contains("renders more than 5,000 list elements"), "\(message)")
            #expect(!message.contains("\n"))
        }
        // Partials multiplying without a loop: each includes the next twice, 20 deep (a million inclusions).
        var files = (0..<20).reduce(into: [String: String]()) { files, index in
            files["twice\(index).md.mustache"] = "{{> twice\(index + 1).md}}{{> twice\(index + 1).md}}\n"
        }
        files["twice20.md.mustache"] = "end\n"
        files["summary.md.mustache"] = "{{> twice0.md}}\n"
        let multiplied = try #require(try Self.loadError(files))
        #expect(multiplied.contains("more than 10,000 times"), "\(multiplied)")
    }

    @Test("through the binary: a missing or recursive partial is exit 64, one line, no run folder, no staging")
    func binaryRefusesBadPartials() async throws {
        for (file, text) in [
            ("findings.md.mustache", "{{> missing-partial}}\n"), ("findings.html.mustache", "{{> findings.html}}\n"),
            ("report.html.mustache", "{{=<%\t%>=}}\nhello <%> report.html%>\n"),
        ] {
            let templates = TemporaryFolder("bad-partial")
            let output = TemporaryFolder("bad-partial-out")
            try Data(text.utf8).write(to: URL(fileURLWithPath: templates.url(file)))
            let result = try await CLI.run([
                "run", "--demo", "--output", output.path, "--templates", templates.path, "--now",
                "2026-11-26T03:00:00Z",
            ])
            #expect(result.status == 64, "\(result.stderr)")
            #expect(!result.signalled)
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(result.stderr.hasPrefix("keyaudit: error: ") && result.stderr.contains(file))
            let left = (try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []
            #expect(left.allSatisfy { $0 == ".keyaudit.lock" }, "\(left)")
        }
    }
}
