// swift-format-ignore-file
// Generated from templates/ by scripts/embed-templates.sh (make templates). Do not edit.

/// The default templates, compiled in so the binary works from any directory.
enum EmbeddedTemplates {
    static let files: [String: String] = [
        "changes.html.mustache": ####"""
<section id="changes">
<h2>Changes since the previous run</h2>
{{#changes}}
<p>Compared with <code>{{from_path}}</code> (taken {{from_taken_at}}, {{elapsed}} earlier): {{added_count}} added, {{removed_count}} removed, {{changed_count}} reconfigured, {{new_findings_count}} new and {{resolved_findings_count}} resolved findings, {{spend_total}} spent.</p>
{{#has_new_findings}}
<h3>New findings ({{new_findings_count}})</h3>
<table class="auto">
<thead><tr><th>Severity</th><th>Rule</th><th>Key</th><th>Workspace</th></tr></thead><tbody>
{{#new_findings}}
<tr{{#suppressed}} class="suppressed"{{/suppressed}}><td><span class="sev sev-{{severity}}">{{severity}}</span></td><td>{{title}}</td><td class="name"><bdi>{{key_name}}</bdi> <code class="hash">{{hash_short}}</code></td><td>{{workspace}}</td></tr>
{{/new_findings}}
</tbody></table>
{{/has_new_findings}}
{{#has_resolved_findings}}
<h3>Resolved findings ({{resolved_findings_count}})</h3>
<table class="auto">
<thead><tr><th>Severity</th><th>Rule</th><th>Key</th><th>Workspace</th></tr></thead><tbody>
{{#resolved_findings}}
<tr><td><span class="sev sev-{{severity}}">{{severity}}</span></td><td>{{title}}</td><td class="name"><bdi>{{key_name}}</bdi> <code class="hash">{{hash_short}}</code></td><td>{{workspace}}</td></tr>
{{/resolved_findings}}
</tbody></table>
{{/has_resolved_findings}}
{{#has_added}}
<h3>Added keys ({{added_count}})</h3>
<table class="auto"><thead><tr><th>Key</th><th>Hash</th><th>Workspace</th></tr></thead><tbody>
{{#added}}
<tr><td class="name"><bdi>{{name}}</bdi></td><td><code>{{hash_short}}</code></td><td>{{workspace}}</td></tr>
{{/added}}
</tbody></table>
{{/has_added}}
{{#has_removed}}
<h3>Removed keys ({{removed_count}})</h3>
<table class="auto"><thead><tr><th>Key</th><th>Hash</th><th>Workspace</th></tr></thead><tbody>
{{#removed}}
<tr><td class="name"><bdi>{{name}}</bdi></td><td><code>{{hash_short}}</code></td><td>{{workspace}}</td></tr>
{{/removed}}
</tbody></table>
{{/has_removed}}
{{#has_changed}}
<h3>Configuration changes ({{changed_count}})</h3>
<table class="auto"><thead><tr><th>Key</th><th>Workspace</th><th>Field</th><th>From</th><th>To</th></tr></thead><tbody>
{{#changed}}
{{#fields}}
<tr><td class="name"><bdi>{{name}}</bdi> <code class="hash">{{hash_short}}</code></td><td>{{workspace}}</td><td><code>{{field}}</code></td><td class="text"><code>{{from}}</code></td><td class="text"><code>{{to}}</code></td></tr>
{{/fields}}
{{/changed}}
</tbody></table>
{{/has_changed}}
{{#has_top_spenders}}
<h3>Largest spend since the previous run</h3>
<table class="auto"><thead><tr><th>Key</th><th>Hash</th><th class="num">Spent</th><th class="num">Lifetime usage</th></tr></thead><tbody>
{{#top_spenders}}
<tr><td class="name"><bdi>{{name}}</bdi></td><td><code>{{hash_short}}</code></td><td class="num">{{growth}}</td><td class="num">{{usage}}</td></tr>
{{/top_spenders}}
</tbody></table>
{{/has_top_spenders}}
{{#has_counter_resets}}
<h3>Usage counters that went down (reset or recreated key)</h3>
<table class="auto"><thead><tr><th>Key</th><th>Hash</th><th class="num">Usage before</th><th class="num">Usage now</th></tr></thead><tbody>
{{#counter_resets}}
<tr><td class="name"><bdi>{{name}}</bdi></td><td><code>{{hash_short}}</code></td><td class="num">{{from}}</td><td class="num">{{to}}</td></tr>
{{/counter_resets}}
</tbody></table>
{{/has_counter_resets}}
{{#lists_truncated}}
<p class="note">Lists above show at most {{row_limit}} entries each; diff.json and report.xlsx (sheet Changes) hold them all.</p>
{{/lists_truncated}}
{{#is_empty}}
<p>Nothing changed.</p>
{{/is_empty}}
{{/changes}}
{{^changes}}
<p>No previous run to compare with: this is the first snapshot in this output folder.</p>
{{/changes}}
{{#applied}}
<h3>Changes keyaudit applied ({{count}})</h3>
<p>Made with <code>keyaudit apply</code> since the previous run; each apply folder beside the runs holds the evidence.</p>
<table class="auto">
<thead><tr><th>Applied</th><th>Key</th><th>Action</th><th>Result</th><th>Apply folder</th></tr></thead><tbody>
{{#rows}}
<tr><td class="num">{{applied_at}}</td><td class="name"><bdi>{{key_name}}</bdi> <code class="hash">{{hash_short}}</code></td><td>{{action}}</td><td>{{detail}}</td><td><code>{{folder}}</code></td></tr>
{{/rows}}
</tbody></table>
{{#truncated}}<p class="note">At most {{row_limit}} are listed; the apply folders' results.json hold them all.</p>{{/truncated}}
{{/applied}}
</section>

"""####,
        "changes.md.mustache": ####"""
{{% CONTENT_TYPE: MARKDOWN}}
## Changes since the previous run

{{#changes}}
Compared with {{from_path}} (taken {{from_taken_at}}, {{elapsed}} earlier): {{added_count}} added, {{removed_count}} removed, {{changed_count}} reconfigured, {{new_findings_count}} new and {{resolved_findings_count}} resolved findings, {{spend_total}} spent.
{{#has_new_findings}}

### New findings ({{new_findings_count}})

| Severity | Rule | Key | Workspace |
|---|---|---|---|
{{#new_findings}}
| {{severity}} | {{title}} | {{key_name}}{{#suppressed}} (suppressed){{/suppressed}} | {{workspace}} |
{{/new_findings}}
{{/has_new_findings}}
{{#has_resolved_findings}}

### Resolved findings ({{resolved_findings_count}})

| Severity | Rule | Key | Workspace |
|---|---|---|---|
{{#resolved_findings}}
| {{severity}} | {{title}} | {{key_name}} | {{workspace}} |
{{/resolved_findings}}
{{/has_resolved_findings}}
{{#has_added}}

### Added keys ({{added_count}})

| Key | Hash | Workspace |
|---|---|---|
{{#added}}
| {{name}} | {{#code}}{{hash_short}}{{/code}} | {{workspace}} |
{{/added}}
{{/has_added}}
{{#has_removed}}

### Removed keys ({{removed_count}})

| Key | Hash | Workspace |
|---|---|---|
{{#removed}}
| {{name}} | {{#code}}{{hash_short}}{{/code}} | {{workspace}} |
{{/removed}}
{{/has_removed}}
{{#has_changed}}

### Configuration changes ({{changed_count}})

| Key | Field | From | To |
|---|---|---|---|
{{#changed}}
{{#fields}}
| {{name}} | {{#code}}{{field}}{{/code}} | {{#code}}{{from}}{{/code}} | {{#code}}{{to}}{{/code}} |
{{/fields}}
{{/changed}}
{{/has_changed}}
{{#has_top_spenders}}

### Largest spend since the previous run

| Key | Hash | Spent | Lifetime usage |
|---|---|--:|--:|
{{#top_spenders}}
| {{name}} | {{#code}}{{hash_short}}{{/code}} | {{growth}} | {{usage}} |
{{/top_spenders}}
{{/has_top_spenders}}
{{#has_counter_resets}}

### Usage counters that went down (reset or recreated key)

| Key | Hash | Usage before | Usage now |
|---|---|--:|--:|
{{#counter_resets}}
| {{name}} | {{#code}}{{hash_short}}{{/code}} | {{from}} | {{to}} |
{{/counter_resets}}
{{/has_counter_resets}}
{{#lists_truncated}}

Lists above show at most {{row_limit}} entries each; diff.json and report.xlsx (sheet Changes) hold them all.
{{/lists_truncated}}
{{#is_empty}}

Nothing changed.
{{/is_empty}}
{{/changes}}
{{^changes}}
No previous run to compare with: this is the first snapshot in this output folder.
{{/changes}}
{{#applied}}

### Changes keyaudit applied ({{count}})

Made with `keyaudit apply` since the previous run; each apply folder beside the runs holds the evidence.

| Applied | Key | Hash | Action | Result |
|---|---|---|---|---|
{{#rows}}
| {{applied_at}} | {{key_name}} | {{#code}}{{hash_short}}{{/code}} | {{action}} | {{detail}} |
{{/rows}}
{{#truncated}}

At most {{row_limit}} are listed; the apply folders' results.json hold them all.
{{/truncated}}
{{/applied}}

"""####,
        "findings.html.mustache": ####"""
<section id="findings">
<h2>Findings by rule</h2>
{{#has_findings}}
<p class="note">Most severe rule first; suppressed findings are listed greyed after the others and not counted. The API call that fixes each key is under <a href="#remediation">Remediation calls</a>.</p>
{{#findings_by_rule}}
<section class="rule" id="rule-{{rule}}">
<h3><span class="sev sev-{{severity}}">{{severity}}</span> {{title}} <span class="count">{{count}} {{noun}}{{#has_new}}, <span class="tag tag-new">{{new}} new</span>{{/has_new}}{{#has_suppressed}}, {{suppressed}} suppressed{{/has_suppressed}}</span></h3>
<p class="rule-meta"><code>{{rule}}</code>{{#is_graded}} · {{severities}}{{/is_graded}}</p>
<p><strong>Risk.</strong> {{risk}}</p>
<p><strong>Fix.</strong> {{remediation}}</p>
{{#has_rows}}
<table class="findings">
<colgroup><col class="c-key"><col class="c-ws"><col class="c-owner"><col class="c-evidence"><col class="c-status"></colgroup>
<thead><tr><th>Key</th><th>Workspace</th><th>Owner</th><th>Evidence</th><th>Status</th></tr></thead>
<tbody>
{{#rows}}
<tr{{#suppressed}} class="suppressed"{{/suppressed}}><td class="name"><bdi>{{key_name}}</bdi> <code class="hash">{{key_hash_short}}</code></td><td>{{workspace}}</td><td class="owner">{{owner}}</td><td class="text">{{evidence}}</td><td>{{#suppression}}suppressed until {{expires}}: {{reason}} ({{owner}}, {{ticket}}){{/suppression}}{{^suppression}}{{#is_new}}<span class="tag tag-new">new</span>{{/is_new}}{{^is_new}}since {{since}}{{/is_new}}{{/suppression}}</td></tr>
{{/rows}}
</tbody>
</table>
{{/has_rows}}
{{#more}}
<p class="note">Showing {{shown}} of {{total}}; the other {{omitted}} are in report.xlsx (sheet Findings) and findings.json.</p>
{{/more}}
</section>
{{/findings_by_rule}}
{{/has_findings}}
{{^has_findings}}
<p>No findings: every key passed every enabled rule.</p>
{{/has_findings}}
</section>

"""####,
        "findings.md.mustache": ####"""
{{% CONTENT_TYPE: MARKDOWN}}
## Findings by rule

{{#has_findings}}
Most severe rule first. Suppressed findings are listed after the others and not counted. The API call that fixes each key is in report.html (Remediation calls), report.xlsx (sheet Findings) and findings.json.
{{#findings_by_rule}}

### {{severity}}: {{title}} ({{count}}{{#has_new}}, {{new}} new{{/has_new}}{{#has_suppressed}}, {{suppressed}} suppressed{{/has_suppressed}})

Rule {{#code}}{{rule}}{{/code}}{{#is_graded}}: {{severities}}{{/is_graded}}. **Risk:** {{risk}} **Fix:** {{remediation}}
{{#has_rows}}

| Key | Workspace | Owner | Evidence | Status |
|---|---|---|---|---|
{{#rows}}
| {{key_name}} | {{workspace}} | {{owner}} | {{evidence}} | {{#suppression}}suppressed until {{expires}}: {{reason}}{{/suppression}}{{^suppression}}{{#is_new}}**new**{{/is_new}}{{^is_new}}since {{since}}{{/is_new}}{{/suppression}} |
{{/rows}}
{{/has_rows}}
{{#more}}

{{omitted}} more not listed here; report.xlsx (sheet Findings) and findings.json hold all {{total}}.
{{/more}}
{{/findings_by_rule}}
{{/has_findings}}
{{^has_findings}}
No findings: every key passed every enabled rule.
{{/has_findings}}

"""####,
        "inventory.html.mustache": ####"""
<section id="inventory" class="wide">
<h2>Key inventory</h2>
<input type="checkbox" id="show-inventory" class="toggle">
<label for="show-inventory" class="toggle-label">All {{summary.keys}} keys, sorted by hash (click to open; always printed)</label>
<div class="toggled">
<table class="inventory">
<thead><tr><th class="c-name">Name</th><th class="c-hash">Hash</th><th class="c-ws">Workspace</th><th class="c-owner">Owner</th><th>Status</th><th class="num">Limit</th><th class="num">Remaining</th><th>Reset</th><th class="num">Usage</th><th class="num">This month</th><th class="num">BYOK</th><th class="c-date">Created (UTC)</th><th class="c-date">Updated</th><th class="c-date">Expires</th><th class="c-date">Last used</th><th class="num">Findings</th></tr></thead>
<tbody>
{{#keys}}
<tr><td class="name"><bdi>{{name}}</bdi></td><td class="hash"><code>{{hash_short}}</code></td><td>{{workspace}}</td><td class="owner">{{creator_user_id}}</td><td>{{status}}</td><td class="num">{{limit}}</td><td class="num">{{limit_remaining}}</td><td>{{limit_reset}}</td><td class="num">{{usage}}</td><td class="num">{{usage_monthly}}</td><td class="num">{{byok_usage}}</td><td class="date">{{created_day}}</td><td class="date">{{updated_day}}</td><td class="date">{{expires_day}}</td><td class="date">{{last_used_day}}</td><td class="num">{{findings}}</td></tr>
{{/keys}}
</tbody>
</table>
{{#keys_truncated}}
<p class="note">Showing the first {{shown}} of {{total}} keys; every key is in report.xlsx (sheet Keys) and snapshot.json.</p>
{{/keys_truncated}}
<p class="note">Labels and fields keyaudit does not know are in report.xlsx (sheet Keys) and snapshot.json.</p>
</div>
</section>

"""####,
        "owners.html.mustache": ####"""
<section id="owners">
<h2>Owners</h2>
<p class="note">Unsuppressed findings by workspace and by the user who created the key (<code>creator_user_id</code>), most first: what each team has to look at.</p>
<h3>By workspace</h3>
<table class="auto">
<thead><tr><th>Workspace</th><th class="num">Keys</th><th class="num">Findings</th><th class="num">Critical</th><th class="num">High</th><th class="num">Medium</th><th class="num">Low</th><th class="num">Info</th><th class="num">New</th></tr></thead>
<tbody>
{{#owners.by_workspace}}
<tr><td class="name"><bdi>{{name}}</bdi></td><td class="num">{{keys}}</td><td class="num"><strong>{{findings}}</strong></td><td class="num">{{critical}}</td><td class="num">{{high}}</td><td class="num">{{medium}}</td><td class="num">{{low}}</td><td class="num">{{info}}</td><td class="num">{{new}}</td></tr>
{{/owners.by_workspace}}
</tbody>
</table>
{{#owners.by_workspace_truncated}}
<p class="note">Showing {{shown}} of {{total}} workspaces; report.xlsx (sheet Owners) lists them all.</p>
{{/owners.by_workspace_truncated}}
<h3>By creator</h3>
{{#owners.has_creators}}
<table class="auto">
<thead><tr><th>Creator</th><th class="num">Keys</th><th class="num">Findings</th><th class="num">Critical</th><th class="num">High</th><th class="num">Medium</th><th class="num">Low</th><th class="num">Info</th><th class="num">New</th></tr></thead>
<tbody>
{{#owners.by_creator}}
<tr><td class="name"><bdi>{{name}}</bdi></td><td class="num">{{keys}}</td><td class="num"><strong>{{findings}}</strong></td><td class="num">{{critical}}</td><td class="num">{{high}}</td><td class="num">{{medium}}</td><td class="num">{{low}}</td><td class="num">{{info}}</td><td class="num">{{new}}</td></tr>
{{/owners.by_creator}}
</tbody>
</table>
<p class="note">{{owners.creators_with_findings}} of {{owners.creators_with_keys}} creators have findings.{{#owners.by_creator_truncated}} Showing the {{shown}} with the most; report.xlsx (sheet Owners) lists all {{total}}.{{/owners.by_creator_truncated}}</p>
{{/owners.has_creators}}
{{^owners.has_creators}}
<p>No finding is on a key with a known creator.</p>
{{/owners.has_creators}}
</section>

"""####,
        "owners.md.mustache": ####"""
{{% CONTENT_TYPE: MARKDOWN}}
## Owners

Unsuppressed findings by workspace and by the user who created the key (`creator_user_id`), most first.

| Workspace | Keys | Findings | Critical | High | Medium | Low | Info | New |
|---|--:|--:|--:|--:|--:|--:|--:|--:|
{{#owners.by_workspace}}
| {{name}} | {{keys}} | **{{findings}}** | {{critical}} | {{high}} | {{medium}} | {{low}} | {{info}} | {{new}} |
{{/owners.by_workspace}}
{{#owners.by_workspace_truncated}}

{{omitted}} more workspaces; report.xlsx (sheet Owners) lists all {{total}}.
{{/owners.by_workspace_truncated}}
{{#owners.has_creators}}

| Creator | Keys | Findings | Critical | High | Medium | Low | Info | New |
|---|--:|--:|--:|--:|--:|--:|--:|--:|
{{#owners.by_creator}}
| {{name}} | {{keys}} | **{{findings}}** | {{critical}} | {{high}} | {{medium}} | {{low}} | {{info}} | {{new}} |
{{/owners.by_creator}}
{{#owners.by_creator_truncated}}

{{omitted}} more creators; report.xlsx (sheet Owners) lists all {{total}}.
{{/owners.by_creator_truncated}}
{{/owners.has_creators}}
{{^owners.has_creators}}

No finding is on a key with a known creator.
{{/owners.has_creators}}

"""####,
        "remediation.html.mustache": ####"""
<section id="remediation" class="wide">
<h2>Remediation calls</h2>
<input type="checkbox" id="show-remediation" class="toggle">
<label for="show-remediation" class="toggle-label">The Management API call for each key listed above (click to open; always printed)</label>
<div class="toggled">
<p class="note">Send them with the management key, e.g. <code>curl -X PATCH https://openrouter.ai/api/v1/keys/HASH -H "Authorization: Bearer $OPENROUTER_MANAGEMENT_KEY" -H "Content-Type: application/json" -d '{"limit": 50}'</code>. Check each one with the key's owner first.</p>
{{#findings_by_rule}}
{{#has_calls}}
{{#has_rows}}
<h3>{{title}} <span class="count">(<code>{{rule}}</code>)</span></h3>
<table class="calls">
<colgroup><col class="c-key"><col class="c-calls"></colgroup>
<thead><tr><th>Key</th><th>Call</th></tr></thead>
<tbody>
{{#rows}}
<tr{{#suppressed}} class="suppressed"{{/suppressed}}><td class="name"><bdi>{{key_name}}</bdi></td><td>{{#calls}}<code class="call">{{.}}</code>{{/calls}}</td></tr>
{{/rows}}
</tbody>
</table>
{{/has_rows}}
{{/has_calls}}
{{/findings_by_rule}}
</div>
</section>

"""####,
        "report.html.mustache": ####"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="keyaudit {{tool_version}}">
<title>OpenRouter key audit — {{run_name}}</title>
{{> style.html}}
</head>
<body>
<header>
<h1>OpenRouter key audit <span class="run">{{run_name}}</span></h1>
<p class="meta">Generated {{generated_at}} by keyaudit {{tool_version}} from <code>{{source}}</code>.</p>
{{#broken_chain}}
{{#altered}}<p class="alert" role="alert"><strong>Evidence chain broken.</strong> <code>{{path}}</code> no longer matches the sha256 recorded for it (recorded <code>{{recorded_sha256}}</code>, found <code>{{actual_sha256}}</code>). An earlier snapshot was altered after it was read.</p>{{/altered}}
{{^altered}}<p class="alert" role="alert"><strong>Evidence chain broken.</strong> <code>{{path}}</code>: {{reason}}.</p>{{/altered}}
{{/broken_chain}}
{{#has_diagnostics}}
<div class="alert" role="alert"><strong>Warnings.</strong> The run went on past these problems:
<ul>
{{#diagnostics}}
<li>{{message}} <span class="note">({{stage}})</span></li>
{{/diagnostics}}
</ul></div>
{{/has_diagnostics}}
{{^scope.consistent}}
<p class="alert" role="alert"><strong>Incomplete snapshot.</strong> The listing shifted on every attempt while keys were being created or deleted: keys may be missing from this audit.</p>
{{/scope.consistent}}
</header>
<nav><a href="#summary">Summary</a> · <a href="#trend">Trend</a> · <a href="#findings">Findings</a> · <a href="#changes">Changes</a> · <a href="#owners">Owners</a> · <a href="#suppressions">Suppressions</a> · <a href="#scope">Scope and policy</a> · <a href="#inventory">Key inventory</a> · <a href="#remediation">Remediation calls</a></nav>
<main>
{{> summary.html}}
{{> trend.html}}
{{> findings.html}}
{{> changes.html}}
{{> owners.html}}
{{> suppressions.html}}
{{> scope.html}}
{{> inventory.html}}
{{> remediation.html}}
</main>
<footer><p>keyaudit {{tool_version}} · snapshot sha256 <code>{{snapshot_sha256}}</code> · verify the run folder with <code>keyaudit verify {{run_name}}</code> or <code>sha256sum -c SHA256SUMS</code>.</p></footer>
</body>
</html>

"""####,
        "report.md.mustache": ####"""
{{% CONTENT_TYPE: MARKDOWN}}
# OpenRouter key audit — {{run_name}}

Generated {{generated_at}} by keyaudit {{tool_version}} from {{source}}. Every table here is cut to fit a GitHub comment; report.html, report.xlsx and the JSON files in the run folder hold every row.

{{#broken_chain}}
{{#altered}}
> **Evidence chain broken.** {{path}} no longer matches the sha256 recorded for it (recorded {{#code}}{{recorded_sha256}}{{/code}}, found {{#code}}{{actual_sha256}}{{/code}}). An earlier snapshot was altered after it was read; see the broken-chain finding.
{{/altered}}
{{^altered}}
> **Evidence chain broken.** {{path}}: {{reason}}; see the broken-chain finding.
{{/altered}}

{{/broken_chain}}
{{#has_diagnostics}}
> **Warnings.** The run went on past these problems:
{{#diagnostics}}
> - {{message}} ({{stage}})
{{/diagnostics}}

{{/has_diagnostics}}
{{^scope.consistent}}
> **Incomplete snapshot.** The listing shifted on every attempt while keys were being created or deleted: keys may be missing from this audit.

{{/scope.consistent}}
{{> summary.md}}

{{> trend.md}}

{{> findings.md}}

{{> changes.md}}

{{> owners.md}}

{{> suppressions.md}}

{{> scope.md}}

"""####,
        "scope.html.mustache": ####"""
<section id="scope">
<h2>Scope, coverage and policy</h2>
<table class="auto kv">
<tbody>
<tr><th>Coverage</th><td>{{scope.verdict}}</td></tr>
<tr><th>Run</th><td>{{run_name}} ({{generated_at}})</td></tr>
<tr><th>Snapshot taken</th><td>{{snapshot_taken_at}}</td></tr>
<tr><th>Source</th><td><code>{{source}}</code></td></tr>
<tr><th>Workspaces</th><td>{{scope.workspace_count}} ({{scope.mode}})</td></tr>
<tr><th>Pages, requests, retries</th><td>{{scope.pages}}, {{scope.requests}}, {{scope.retries}}</td></tr>
<tr><th>Disabled keys included</th><td>{{#scope.include_disabled}}yes{{/scope.include_disabled}}{{^scope.include_disabled}}<strong>no</strong>{{/scope.include_disabled}}</td></tr>
<tr><th>Listing consistent</th><td>{{#scope.consistent}}yes{{/scope.consistent}}{{^scope.consistent}}<strong>no: keys may be missing</strong>{{/scope.consistent}}</td></tr>
<tr><th>Snapshot sha256</th><td><code>{{snapshot_sha256}}</code></td></tr>
<tr><th>Previous snapshot</th><td>{{#previous}}<code>{{path}}</code>, taken {{taken_at}}, sha256 <code>{{sha256}}</code>{{/previous}}{{^previous}}none: this is the first run{{/previous}}</td></tr>
{{#scope.notes}}
<tr><th>Note</th><td>{{.}}</td></tr>
{{/scope.notes}}
</tbody>
</table>
<table class="auto">
<thead><tr><th>Workspace</th><th>Id</th><th class="num">Keys</th><th class="num">Pages</th><th class="num">Listings</th><th>Consistent</th></tr></thead>
<tbody>
{{#scope.workspaces}}
<tr><td class="name"><bdi>{{name}}</bdi></td><td><code>{{id}}</code></td><td class="num">{{keys}}</td><td class="num">{{pages}}</td><td class="num">{{attempts}}</td><td>{{#consistent}}yes{{/consistent}}{{^consistent}}<strong>no</strong>{{/consistent}}</td></tr>
{{/scope.workspaces}}
</tbody>
</table>
<h3>Policy in force</h3>
<p>Policy: {{policy.source}}.</p>
<div class="side-by-side">
<table class="compact">
<thead><tr><th>Threshold</th><th>Value</th></tr></thead>
<tbody>
{{#policy.thresholds}}
<tr><td>{{label}}</td><td>{{value}}</td></tr>
{{/policy.thresholds}}
</tbody>
</table>
<table class="compact">
<thead><tr><th>Rule</th><th>Title</th><th>Enabled</th><th>Severity</th></tr></thead>
<tbody>
{{#policy.rules}}
<tr><td><code>{{id}}</code></td><td>{{title}}</td><td>{{#enabled}}yes{{/enabled}}{{^enabled}}<strong>no</strong>{{/enabled}}</td><td><span class="sev sev-{{severity}}">{{severity}}</span>{{#overridden}} (set by policy){{/overridden}}</td></tr>
{{/policy.rules}}
</tbody>
</table>
</div>
</section>

"""####,
        "scope.md.mustache": ####"""
{{% CONTENT_TYPE: MARKDOWN}}
## Scope, coverage and policy

| Item | Value |
|---|---|
| Coverage | {{scope.verdict}} |
| Run | {{run_name}} ({{generated_at}}) |
| Snapshot taken | {{snapshot_taken_at}} |
| Source | {{source}} |
| Workspaces | {{scope.workspace_count}} ({{scope.mode}}) |
| Pages, requests, retries | {{scope.pages}}, {{scope.requests}}, {{scope.retries}} |
| Disabled keys included | {{#scope.include_disabled}}yes{{/scope.include_disabled}}{{^scope.include_disabled}}**no**{{/scope.include_disabled}} |
| Listing consistent | {{#scope.consistent}}yes{{/scope.consistent}}{{^scope.consistent}}**no: keys may be missing**{{/scope.consistent}} |
| Snapshot sha256 | {{#code}}{{snapshot_sha256}}{{/code}} |
| Previous snapshot | {{#previous}}{{path}}, taken {{taken_at}}, sha256 {{#code}}{{sha256}}{{/code}}{{/previous}}{{^previous}}none: this is the first run{{/previous}} |
{{#scope.notes}}
| Note | {{.}} |
{{/scope.notes}}

| Workspace | Id | Keys | Pages | Listings | Consistent |
|---|---|--:|--:|--:|---|
{{#scope.workspaces}}
| {{name}} | {{#code}}{{id}}{{/code}} | {{keys}} | {{pages}} | {{attempts}} | {{#consistent}}yes{{/consistent}}{{^consistent}}**no**{{/consistent}} |
{{/scope.workspaces}}

Policy: {{policy.source}}.

| Threshold | Value |
|---|---|
{{#policy.thresholds}}
| {{label}} | {{value}} |
{{/policy.thresholds}}

| Rule | Enabled | Severity |
|---|---|---|
{{#policy.rules}}
| {{#code}}{{id}}{{/code}} {{title}} | {{#enabled}}yes{{/enabled}}{{^enabled}}**no**{{/enabled}} | {{severity}}{{#overridden}} (set by policy){{/overridden}} |
{{/policy.rules}}

"""####,
        "style.html.mustache": ####"""
<style>
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg-alt: #f6f8fa;
  --critical: #7d1a1a; --high: #b42318; --medium: #9a5b00; --low: #1f5fa8; --info: #57606a; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); margin: 0 auto; padding: 1.5rem; max-width: 1280px; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; } h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
.run { color: var(--muted); font-weight: normal; }
.meta, .note, .count, .rule-meta { color: var(--muted); }
.count { font-weight: normal; font-size: .95rem; }
code { font: 12px/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
code.hash { color: var(--muted); font-size: 11px; white-space: nowrap; }
nav { margin: .8rem 0; padding: .5rem 0; border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); }
nav a { color: var(--low); }
table { border-collapse: collapse; margin: .6rem 0; }
table.findings, table.inventory, table.calls { width: 100%; table-layout: fixed; }
th, td { border: 1px solid var(--line); padding: .3rem .45rem; text-align: left; vertical-align: top; overflow-wrap: break-word; }
th { background: var(--bg-alt); overflow-wrap: normal; }
table.kv th { width: 13rem; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.name { unicode-bidi: isolate; overflow-wrap: anywhere; } td.text { overflow-wrap: anywhere; }
tbody tr:nth-child(even) { background: #fbfcfd; }
col.c-key { width: 22%; } col.c-ws { width: 12%; } col.c-owner { width: 11%; } col.c-evidence { width: 37%; } col.c-status { width: 18%; }
col.c-calls { width: 78%; }
th.c-name { width: 13%; } th.c-hash { width: 6.5%; } th.c-ws, th.c-owner { width: 7%; } th.c-date { width: 5.8%; }
td.date { white-space: nowrap; } td.hash { white-space: nowrap; overflow: hidden; }
code.call { display: block; margin: .1rem 0; }
.sev { display: inline-block; min-width: 4.6em; padding: 0 .4em; border-radius: 3px; color: #fff; font-weight: 600; font-size: 12px; text-align: center; white-space: nowrap; }
.sev-critical { background: var(--critical); } .sev-high { background: var(--high); } .sev-medium { background: var(--medium); }
.sev-low { background: var(--low); } .sev-info { background: var(--info); }
tr.suppressed { color: var(--muted); } tr.suppressed .sev { opacity: .55; }
.tag { display: inline-block; padding: 0 .35em; border: 1px solid var(--line); border-radius: 3px; font-size: 12px; white-space: nowrap; }
.tag-new { border-color: var(--high); color: var(--high); }
.alert { border-left: 4px solid var(--high); background: #fff4f2; padding: .6rem .8rem; }
.verdict { padding: .5rem .8rem; border-left: 4px solid #2f6f4f; background: #f0f7f3; }
.verdict-incomplete { border-left-color: var(--high); background: #fff4f2; }
.verdict-file, .verdict-selected { border-left-color: var(--medium); background: #fff8ec; }
.evidence-chain { padding: .3rem .8rem; border-left: 4px solid var(--high); background: #fff4f2; margin: .5rem 0; }
.evidence-chain ul { margin: .2rem 0; }
.cards { display: flex; flex-wrap: wrap; gap: .6rem; margin: .8rem 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .4rem .8rem; min-width: 8rem; color: var(--muted); }
.card b { display: block; font-size: 1.35rem; color: var(--fg); font-variant-numeric: tabular-nums; }
.card-strong { border-color: var(--fg); }
.side-by-side { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
figure.chart { margin: 0; flex: 1 1 340px; max-width: 560px; border: 1px solid var(--line); border-radius: 6px; padding: .4rem .6rem; }
figure.chart figcaption { font-weight: 600; margin-bottom: .2rem; }
figure.chart svg { width: 100%; height: auto; display: block; }
tr.current { font-weight: 600; }
section.rule { margin-top: 1.2rem; }
section.rule p { margin: .3rem 0; max-width: 75rem; }
.toggle { position: absolute; opacity: 0; width: 1px; height: 1px; }
.toggle-label { display: inline-block; cursor: pointer; font-weight: 600; margin: .6rem 0; padding: .2rem .6rem; border: 1px solid var(--line); border-radius: 4px; background: var(--bg-alt); }
.toggle-label::before { content: "▸ "; }
.toggle:checked + .toggle-label::before { content: "▾ "; }
.toggle:focus-visible + .toggle-label { outline: 2px solid var(--low); }
.toggle:not(:checked) ~ .toggled { display: none; }
@page { size: A4; margin: 12mm; }
@page wide { size: A4 landscape; margin: 10mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 9pt; }
  nav, .toggle, .toggle-label { display: none; }
  .toggled { display: block !important; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  code { font-size: 8pt; }
  table { width: 100%; table-layout: fixed; }
  table.auto, table.compact { width: auto; max-width: 100%; table-layout: auto; }
  thead { display: table-header-group; }
  tr, figure.chart { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  th, td { padding: .15rem .3rem; }
  .cards { gap: .4rem; } .card { min-width: 0; padding: .2rem .5rem; } .card b { font-size: 1.1rem; }
  figure.chart { flex: 1 1 30%; max-width: none; }
  section.wide { page: wide; break-before: page; }
  table.inventory { font-size: 6.5pt; }
  table.inventory code { font-size: 6.5pt; }
  table.inventory th { overflow-wrap: normal; word-break: normal; hyphens: auto; }
}
</style>

"""####,
        "summary.html.mustache": ####"""
<section id="summary">
<h2>Summary</h2>
<p class="verdict verdict-{{summary.coverage_status}}"><strong>Coverage:</strong> {{summary.coverage}}.</p>
{{#has_evidence_chain}}
<div class="evidence-chain"><strong>Evidence chain:</strong>
<ul>
{{#evidence_chain}}
<li>{{.}}</li>
{{/evidence_chain}}
</ul>
</div>
{{/has_evidence_chain}}
<div class="cards">
<div class="card"><b>{{summary.keys}}</b>keys</div>
<div class="card"><b>{{summary.enabled}}</b>enabled</div>
<div class="card"><b>{{summary.disabled}}</b>disabled</div>
<div class="card card-strong"><b>{{summary.findings}}</b>findings</div>
<div class="card card-strong"><b>{{summary.new}}</b>new since last run</div>
<div class="card"><b>{{summary.resolved}}</b>resolved</div>
<div class="card"><b>{{summary.suppressed}}</b>suppressed</div>
<div class="card"><b>{{summary.spend_since_previous}}</b>spend since last run</div>
<div class="card"><b>{{summary.total_spend}}</b>total spend</div>
</div>
<div class="side-by-side">
<table class="compact">
<thead><tr><th>Severity</th><th class="num">Findings</th></tr></thead>
<tbody>
{{#summary.by_severity}}
<tr><td><span class="sev sev-{{severity}}">{{severity}}</span></td><td class="num">{{count}}</td></tr>
{{/summary.by_severity}}
</tbody>
</table>
<table class="compact">
<thead><tr><th>Rule</th><th>Severity</th><th class="num">Findings</th><th class="num">New</th></tr></thead>
<tbody>
{{#findings_by_rule}}
<tr><td><a href="#rule-{{rule}}">{{title}}</a></td><td><span class="sev sev-{{severity}}">{{severity}}</span></td><td class="num">{{count}}</td><td class="num">{{new}}</td></tr>
{{/findings_by_rule}}
{{^findings_by_rule}}
<tr><td colspan="4">No findings.</td></tr>
{{/findings_by_rule}}
</tbody>
</table>
</div>
<p class="note">Counts leave out suppressed findings.</p>
</section>

"""####,
        "summary.md.mustache": ####"""
{{% CONTENT_TYPE: MARKDOWN}}
## Summary

**Coverage: {{summary.coverage}}.**
{{#has_evidence_chain}}

**Evidence chain:**

{{#evidence_chain}}
- {{.}}
{{/evidence_chain}}
{{/has_evidence_chain}}

| Keys | Enabled | Disabled | Findings | New since last run | Resolved | Suppressed | Spend since last run | Total spend |
|--:|--:|--:|--:|--:|--:|--:|--:|--:|
| {{summary.keys}} | {{summary.enabled}} | {{summary.disabled}} | **{{summary.findings}}** | **{{summary.new}}** | {{summary.resolved}} | {{summary.suppressed}} | {{summary.spend_since_previous}} | {{summary.total_spend}} |

| Severity | Findings |
|---|--:|
{{#summary.by_severity}}
| {{severity}} | {{count}} |
{{/summary.by_severity}}

Counts leave out suppressed findings.

"""####,
        "suppressions.html.mustache": ####"""
<section id="suppressions">
<h2>Suppressions</h2>
{{#suppressions.has_any}}
<table class="auto">
<thead><tr><th>State</th><th>Key</th><th>Rule</th><th>Reason</th><th>Owner</th><th>Ticket</th><th>Expires</th><th class="num">Matched</th></tr></thead>
<tbody>
{{#suppressions.expired}}
<tr><td><strong>expired</strong></td><td class="name"><bdi>{{key}}</bdi></td><td><code>{{rule}}</code></td><td>{{reason}}</td><td>{{owner}}</td><td>{{ticket}}</td><td>{{expires}}</td><td class="num">{{matched}}</td></tr>
{{/suppressions.expired}}
{{#suppressions.expiring_soon}}
<tr><td>expiring soon</td><td class="name"><bdi>{{key}}</bdi></td><td><code>{{rule}}</code></td><td>{{reason}}</td><td>{{owner}}</td><td>{{ticket}}</td><td>{{expires}}</td><td class="num">{{matched}}</td></tr>
{{/suppressions.expiring_soon}}
{{#suppressions.active}}
<tr><td>active</td><td class="name"><bdi>{{key}}</bdi></td><td><code>{{rule}}</code></td><td>{{reason}}</td><td>{{owner}}</td><td>{{ticket}}</td><td>{{expires}}</td><td class="num">{{matched}}</td></tr>
{{/suppressions.active}}
{{#suppressions.unmatched}}
<tr><td>unmatched</td><td class="name"><bdi>{{key}}</bdi></td><td><code>{{rule}}</code></td><td>{{reason}}</td><td>{{owner}}</td><td>{{ticket}}</td><td>{{expires}}</td><td class="num">{{matched}}</td></tr>
{{/suppressions.unmatched}}
</tbody>
</table>
<p class="note">Expired suppressions no longer suppress: their findings count again. Unmatched ones matched no finding and can probably be removed.{{#suppressions.truncated}} Some are not listed here; report.xlsx (sheet Suppressions) and findings.json list all {{suppressions.count}}.{{/suppressions.truncated}}</p>
{{/suppressions.has_any}}
{{^suppressions.has_any}}
<p>The policy has no suppressions.</p>
{{/suppressions.has_any}}
</section>

"""####,
        "suppressions.md.mustache": ####"""
{{% CONTENT_TYPE: MARKDOWN}}
## Suppressions

{{#suppressions.has_any}}
| State | Key | Rule | Reason | Owner | Ticket | Expires | Matched |
|---|---|---|---|---|---|---|--:|
{{#suppressions.expired}}
| **expired** | {{key}} | {{#code}}{{rule}}{{/code}} | {{reason}} | {{owner}} | {{ticket}} | {{expires}} | {{matched}} |
{{/suppressions.expired}}
{{#suppressions.expiring_soon}}
| expiring soon | {{key}} | {{#code}}{{rule}}{{/code}} | {{reason}} | {{owner}} | {{ticket}} | {{expires}} | {{matched}} |
{{/suppressions.expiring_soon}}
{{#suppressions.active}}
| active | {{key}} | {{#code}}{{rule}}{{/code}} | {{reason}} | {{owner}} | {{ticket}} | {{expires}} | {{matched}} |
{{/suppressions.active}}
{{#suppressions.unmatched}}
| unmatched | {{key}} | {{#code}}{{rule}}{{/code}} | {{reason}} | {{owner}} | {{ticket}} | {{expires}} | {{matched}} |
{{/suppressions.unmatched}}

Expired suppressions no longer suppress: their findings count again. Unmatched ones matched no finding and can probably be removed.{{#suppressions.truncated}} Some are not listed here; report.xlsx (sheet Suppressions) and findings.json list all {{suppressions.count}}.{{/suppressions.truncated}}
{{/suppressions.has_any}}
{{^suppressions.has_any}}
The policy has no suppressions.
{{/suppressions.has_any}}

"""####,
        "trend.html.mustache": ####"""
<section id="trend">
<h2>Trend</h2>
{{#trend.has_trend}}
<p class="note">The last {{trend.count}} runs in this output folder, oldest on the left. Hover a bar or point for its numbers.</p>
<div class="charts">
{{#trend.charts}}
<figure class="chart">
<figcaption>{{title}}</figcaption>
<svg viewBox="0 0 {{width}} {{height}}" role="img" aria-labelledby="{{id}}-title">
<title id="{{id}}-title">{{title}}</title>
{{#grid}}
<line x1="{{x1}}" y1="{{y}}" x2="{{x2}}" y2="{{y}}" stroke="#d0d7de" stroke-width="1"/>
<text x="{{label_x}}" y="{{label_y}}" text-anchor="end" font-size="13" fill="#57606a">{{label}}</text>
{{/grid}}
{{#bars}}
<rect x="{{x}}" y="{{y}}" width="{{w}}" height="{{h}}" fill="{{fill}}"><title>{{title}}</title></rect>
{{/bars}}
{{#has_line}}
<polyline points="{{line}}" fill="none" stroke="#1b1f24" stroke-width="2"/>
{{#dots}}
<circle cx="{{cx}}" cy="{{cy}}" r="3.5" fill="#1b1f24"><title>{{title}}</title></circle>
{{/dots}}
{{/has_line}}
<line x1="{{axis_x1}}" y1="{{axis_y}}" x2="{{axis_x2}}" y2="{{axis_y}}" stroke="#57606a" stroke-width="1"/>
{{#x_labels}}
<text x="{{x}}" y="{{y}}" text-anchor="middle" font-size="13" fill="#57606a">{{text}}</text>
{{/x_labels}}
{{#legend}}
<rect x="{{x}}" y="{{y}}" width="10" height="10" fill="{{fill}}"/><text x="{{text_x}}" y="{{text_y}}" font-size="13" fill="#1b1f24">{{text}}</text>
{{/legend}}
</svg>
</figure>
{{/trend.charts}}
</div>
<table class="compact trend">
<thead><tr><th>Run</th><th class="num">Keys</th><th class="num">Findings</th><th class="num">Critical</th><th class="num">High</th><th class="num">Medium</th><th class="num">Low</th><th class="num">New</th><th class="num">Resolved</th><th class="num">Spend since the run before</th></tr></thead>
<tbody>
{{#trend.runs}}
<tr{{#is_current}} class="current"{{/is_current}}><td>{{date}}{{#is_current}} (this run){{/is_current}}</td><td class="num">{{keys}}</td><td class="num">{{findings}}</td><td class="num">{{critical}}</td><td class="num">{{high}}</td><td class="num">{{medium}}</td><td class="num">{{low}}</td><td class="num">{{new}}</td><td class="num">{{resolved}}</td><td class="num">{{spend_since_previous}}</td></tr>
{{/trend.runs}}
</tbody>
</table>
{{/trend.has_trend}}
{{^trend.has_trend}}
<p>No trend yet: this is the first run with a summary in this output folder. Later runs draw here how keys, findings and spend move.</p>
{{/trend.has_trend}}
</section>

"""####,
        "trend.md.mustache": ####"""
{{% CONTENT_TYPE: MARKDOWN}}
## Trend

{{#trend.has_trend}}
The last runs in this output folder, newest first (report.html and report.xlsx draw them as charts).

| Run | Keys | Findings | Critical | High | New | Resolved | Spend since the run before |
|---|--:|--:|--:|--:|--:|--:|--:|
{{#trend.runs}}
| {{date}}{{#is_current}} (this run){{/is_current}} | {{keys}} | {{findings}} | {{critical}} | {{high}} | {{new}} | {{resolved}} | {{spend_since_previous}} |
{{/trend.runs}}
{{/trend.has_trend}}
{{^trend.has_trend}}
No trend yet: this is the first run with a summary in this output folder. Later runs show here how keys, findings and spend move.
{{/trend.has_trend}}

"""####,
        "report.xlsx.yml": ####"""
# Layout of report.xlsx. Override it by putting a file of the same name in --templates DIR.
#
# Each sheet names a `source`: summary, owners and trend have a fixed layout; findings, keys, changes and
# suppressions list their columns: `header`, the field (templates/README.md lists them), optional `width`
# (characters; default: computed from the content), optional `format` (an Excel number format, for money,
# number and date fields only) and optional `conditional: severity` (colour the column by severity).
# `freeze_columns: N` keeps the first N columns in view when scrolling right. Every table gets a frozen header
# row and an autofilter; every sheet prints landscape on A4, one page wide, its header row on every page.
# Text from the API is stored as Text (`@`), never as a formula. Times are UTC.
money_format: "$#,##0.00"
date_format: "yyyy-mm-dd hh:mm:ss"
sheets:
  - name: Summary
    source: summary
  - name: Findings
    source: findings
    freeze_columns: 1
    columns:
      - { header: Severity, field: severity, conditional: severity }
      - { header: Rule, field: rule }
      - { header: Key name, field: key_name, width: 26 }
      - { header: Key hash, field: key_hash, width: 16 }
      - { header: Workspace, field: workspace }
      - { header: Owner, field: owner }
      - { header: Finding, field: message, width: 50 }
      # The API call that fixes the finding, with the key's hash; `field: remediation` gives the whole advice.
      - { header: Remediation (API call), field: call, width: 50 }
      - { header: Status, field: status }
      - { header: First seen (UTC), field: first_seen }
      - { header: Suppressed, field: suppressed }
      - { header: Suppression reason, field: suppression_reason, width: 26 }
      - { header: Suppression owner, field: suppression_owner }
      - { header: Ticket, field: suppression_ticket }
      - { header: Suppression expires, field: suppression_expires }
  - name: Changes
    source: changes
    columns:
      - { header: Change, field: change }
      - { header: Key name, field: key_name, width: 30 }
      - { header: Key hash, field: key_hash, width: 18 }
      - { header: Workspace, field: workspace }
      - { header: Field or rule, field: field }
      - { header: From, field: from, width: 30 }
      - { header: To, field: to, width: 30 }
      - { header: Amount, field: amount }
  - name: Owners
    source: owners
  - name: Trend
    source: trend
  - name: Suppressions
    source: suppressions
    columns:
      - { header: State, field: state }
      - { header: Key (hash or name pattern), field: key, width: 30 }
      - { header: Rule, field: rule }
      - { header: Reason, field: reason, width: 40 }
      - { header: Owner, field: owner }
      - { header: Ticket, field: ticket }
      - { header: Expires, field: expires }
      - { header: Findings matched, field: matched }
      - { header: Policy file, field: location }
  - name: Keys
    source: keys
    freeze_columns: 1
    columns:
      - { header: Name, field: name, width: 30 }
      - { header: Hash, field: hash, width: 18 }
      - { header: Label, field: label }
      - { header: Workspace, field: workspace }
      - { header: Workspace id, field: workspace_id }
      - { header: Disabled, field: disabled }
      - { header: Limit, field: limit }
      - { header: Limit remaining, field: limit_remaining }
      - { header: Limit reset, field: limit_reset }
      - { header: BYOK in limit, field: include_byok_in_limit }
      - { header: Usage, field: usage }
      - { header: Usage today, field: usage_daily }
      - { header: Usage this week, field: usage_weekly }
      - { header: Usage this month, field: usage_monthly }
      - { header: BYOK usage, field: byok_usage }
      - { header: BYOK today, field: byok_usage_daily }
      - { header: BYOK this week, field: byok_usage_weekly }
      - { header: BYOK this month, field: byok_usage_monthly }
      - { header: Created (UTC), field: created_at }
      - { header: Updated (UTC), field: updated_at }
      - { header: Expires (UTC), field: expires_at }
      - { header: Last used (UTC), field: last_used_at }
      - { header: Creator, field: creator_user_id }
      - { header: External user, field: external_user }
      - { header: Rotated from, field: rotated_from_hash, width: 18 }
      - { header: Findings, field: findings }
      - { header: Unreadable fields, field: problems, width: 40 }
      - { header: Other fields, field: extra, width: 40 }

"""####,
    ]
}
