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
{{#has_added}}
<h3>Added keys</h3>
<table><thead><tr><th>Key</th><th>Hash</th><th>Workspace</th></tr></thead><tbody>
{{#added}}
<tr><td class="name"><bdi>{{name}}</bdi></td><td><code>{{hash_short}}</code></td><td><code>{{workspace_id}}</code></td></tr>
{{/added}}
</tbody></table>
{{/has_added}}
{{#has_removed}}
<h3>Removed keys</h3>
<table><thead><tr><th>Key</th><th>Hash</th><th>Workspace</th></tr></thead><tbody>
{{#removed}}
<tr><td class="name"><bdi>{{name}}</bdi></td><td><code>{{hash_short}}</code></td><td><code>{{workspace_id}}</code></td></tr>
{{/removed}}
</tbody></table>
{{/has_removed}}
{{#has_changed}}
<h3>Configuration changes</h3>
<table><thead><tr><th>Key</th><th>Hash</th><th>Field</th><th>From</th><th>To</th></tr></thead><tbody>
{{#changed}}
{{#fields}}
<tr><td class="name"><bdi>{{name}}</bdi></td><td><code>{{hash_short}}</code></td><td><code>{{field}}</code></td><td><code>{{from}}</code></td><td><code>{{to}}</code></td></tr>
{{/fields}}
{{/changed}}
</tbody></table>
{{/has_changed}}
{{#has_top_spenders}}
<h3>Largest spend since the previous run</h3>
<table><thead><tr><th>Key</th><th>Hash</th><th class="num">Spent</th><th class="num">Lifetime usage</th></tr></thead><tbody>
{{#top_spenders}}
<tr><td class="name"><bdi>{{name}}</bdi></td><td><code>{{hash_short}}</code></td><td class="num">{{growth}}</td><td class="num">{{usage}}</td></tr>
{{/top_spenders}}
</tbody></table>
{{/has_top_spenders}}
{{#has_counter_resets}}
<h3>Usage counters that went down (reset or recreated key)</h3>
<table><thead><tr><th>Key</th><th>Hash</th><th class="num">Usage before</th><th class="num">Usage now</th></tr></thead><tbody>
{{#counter_resets}}
<tr><td class="name"><bdi>{{name}}</bdi></td><td><code>{{hash_short}}</code></td><td class="num">{{from}}</td><td class="num">{{to}}</td></tr>
{{/counter_resets}}
</tbody></table>
{{/has_counter_resets}}
{{#has_new_findings}}
<h3>New findings</h3>
<ul>
{{#new_findings}}
<li><code>{{.}}</code></li>
{{/new_findings}}
</ul>
{{/has_new_findings}}
{{#has_resolved_findings}}
<h3>Resolved findings</h3>
<ul>
{{#resolved_findings}}
<li><code>{{.}}</code></li>
{{/resolved_findings}}
</ul>
{{/has_resolved_findings}}
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
</section>

"""####,
        "changes.md.mustache": ####"""
{{% CONTENT_TYPE: MARKDOWN}}
## Changes since the previous run

{{#changes}}
Compared with {{from_path}} (taken {{from_taken_at}}, {{elapsed}} earlier): {{added_count}} added, {{removed_count}} removed, {{changed_count}} reconfigured, {{new_findings_count}} new and {{resolved_findings_count}} resolved findings, {{spend_total}} spent.

{{#has_added}}
### Added keys

| Key | Hash | Workspace |
|---|---|---|
{{/has_added}}
{{#added}}
| {{name}} | `{{hash_short}}` | `{{workspace_id}}` |
{{/added}}
{{#has_removed}}

### Removed keys

| Key | Hash | Workspace |
|---|---|---|
{{/has_removed}}
{{#removed}}
| {{name}} | `{{hash_short}}` | `{{workspace_id}}` |
{{/removed}}
{{#has_changed}}

### Configuration changes

| Key | Hash | Field | From | To |
|---|---|---|---|---|
{{/has_changed}}
{{#changed}}
{{#fields}}
| {{name}} | `{{hash_short}}` | `{{field}}` | {{from}} | {{to}} |
{{/fields}}
{{/changed}}
{{#has_top_spenders}}

### Largest spend since the previous run

| Key | Hash | Spent | Lifetime usage |
|---|---|--:|--:|
{{/has_top_spenders}}
{{#top_spenders}}
| {{name}} | `{{hash_short}}` | {{growth}} | {{usage}} |
{{/top_spenders}}
{{#has_counter_resets}}

### Usage counters that went down (reset or recreated key)

| Key | Hash | Usage before | Usage now |
|---|---|--:|--:|
{{/has_counter_resets}}
{{#counter_resets}}
| {{name}} | `{{hash_short}}` | {{from}} | {{to}} |
{{/counter_resets}}
{{#has_new_findings}}

### New findings

{{/has_new_findings}}
{{#new_findings}}
- `{{.}}`
{{/new_findings}}
{{#has_resolved_findings}}

### Resolved findings

{{/has_resolved_findings}}
{{#resolved_findings}}
- `{{.}}`
{{/resolved_findings}}
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

"""####,
        "findings.html.mustache": ####"""
<section id="findings">
<h2>Findings</h2>
{{#has_findings}}
<p class="note">Most severe first. Suppressed findings are listed, greyed, and not counted.</p>
<table>
<thead><tr><th>Severity</th><th>Rule</th><th>Key</th><th>Hash</th><th>Workspace</th><th>Finding</th><th>Remediation</th><th>Status</th><th>Suppression</th></tr></thead>
<tbody>
{{#findings}}
<tr{{#suppressed}} class="suppressed"{{/suppressed}}><td><span class="sev sev-{{severity}}">{{severity}}</span></td><td class="id"><code>{{rule}}</code></td><td class="name"><bdi>{{key_name}}</bdi></td><td class="id"><code>{{key_hash_short}}</code></td><td>{{workspace}}</td><td class="text">{{message}}</td><td class="text">{{remediation}}</td><td>{{#is_new}}<span class="tag tag-new">new</span>{{/is_new}}{{^is_new}}<span class="tag">persisting</span>{{/is_new}} since {{first_seen}}</td><td>{{#suppression}}suppressed until {{expires}}: {{reason}} ({{owner}}, {{ticket}}){{/suppression}}{{^suppression}}—{{/suppression}}</td></tr>
{{/findings}}
</tbody>
</table>
{{#findings_truncated}}
<p class="note">Showing the {{shown}} most severe of {{total}} findings; the other {{omitted}} are in findings.json and in report.xlsx (sheet Findings).</p>
{{/findings_truncated}}
{{/has_findings}}
{{^has_findings}}
<p>No findings: every key passed every enabled rule.</p>
{{/has_findings}}
</section>

"""####,
        "findings.md.mustache": ####"""
{{% CONTENT_TYPE: MARKDOWN}}
## Findings

{{#has_findings}}
Most severe first. Suppressed findings are listed but not counted.

| Severity | Rule | Key | Hash | Workspace | Finding | Remediation | Status | Suppression |
|---|---|---|---|---|---|---|---|---|
{{#findings}}
| **{{severity}}** | `{{rule}}` | {{key_name}} | `{{key_hash_short}}` | {{workspace}} | {{message}} | {{remediation}} | {{status}} since {{first_seen}} | {{#suppression}}suppressed until {{expires}}: {{reason}} ({{owner}}, {{ticket}}){{/suppression}}{{^suppression}}—{{/suppression}} |
{{/findings}}
{{#findings_truncated}}

Showing the {{shown}} most severe of {{total}} findings; the other {{omitted}} are in findings.json and in report.xlsx (sheet Findings).
{{/findings_truncated}}
{{/has_findings}}
{{^has_findings}}
No findings: every key passed every enabled rule.
{{/has_findings}}

"""####,
        "header.html.mustache": ####"""
<section id="scope">
<h2>Scope, coverage and policy</h2>
<table class="compact">
<tbody>
<tr><th>Run</th><td>{{run_name}} ({{generated_at}})</td></tr>
<tr><th>Snapshot taken</th><td>{{snapshot_taken_at}}</td></tr>
<tr><th>Source</th><td><code>{{source}}</code></td></tr>
<tr><th>Workspaces covered</th><td>{{scope.workspace_count}} ({{scope.mode}})</td></tr>
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
<table>
<thead><tr><th>Workspace</th><th>Id</th><th class="num">Keys</th><th class="num">Pages</th><th class="num">Listings</th><th>Consistent</th></tr></thead>
<tbody>
{{#scope.workspaces}}
<tr><td class="name"><bdi>{{name}}</bdi></td><td><code>{{id}}</code></td><td class="num">{{keys}}</td><td class="num">{{pages}}</td><td class="num">{{attempts}}</td><td>{{#consistent}}yes{{/consistent}}{{^consistent}}<strong>no</strong>{{/consistent}}</td></tr>
{{/scope.workspaces}}
</tbody>
</table>
<h3>Policy in force</h3>
<p>Policy: {{policy.source}}. Stale after {{policy.stale_after_days}} days · expiring within {{policy.expiring_within_days}} days · unused after {{policy.unused_after_days}} days · limit nearly exhausted below {{policy.limit_remaining_share}} remaining · suppressions expiring within {{policy.suppression_warning_days}} days flagged.</p>
<table class="compact">
<thead><tr><th>Rule</th><th>Title</th><th>Enabled</th><th>Severity</th></tr></thead>
<tbody>
{{#policy.rules}}
<tr><td><code>{{id}}</code></td><td>{{title}}</td><td>{{#enabled}}yes{{/enabled}}{{^enabled}}<strong>no</strong>{{/enabled}}</td><td><span class="sev sev-{{severity}}">{{severity}}</span>{{#overridden}} (set by policy){{/overridden}}</td></tr>
{{/policy.rules}}
</tbody>
</table>
</section>

"""####,
        "header.md.mustache": ####"""
{{% CONTENT_TYPE: MARKDOWN}}
## Scope and coverage

| | |
|---|---|
| Run | {{run_name}} ({{generated_at}}) |
| Snapshot taken | {{snapshot_taken_at}} |
| Source | {{source}} |
| Workspaces covered | {{scope.workspace_count}} ({{scope.mode}}) |
| Pages, requests, retries | {{scope.pages}}, {{scope.requests}}, {{scope.retries}} |
| Disabled keys included | {{#scope.include_disabled}}yes{{/scope.include_disabled}}{{^scope.include_disabled}}**no**{{/scope.include_disabled}} |
| Listing consistent | {{#scope.consistent}}yes{{/scope.consistent}}{{^scope.consistent}}**no: keys may be missing**{{/scope.consistent}} |
| Snapshot sha256 | `{{snapshot_sha256}}` |
| Previous snapshot | {{#previous}}{{path}}, taken {{taken_at}}, sha256 `{{sha256}}`{{/previous}}{{^previous}}none: this is the first run{{/previous}} |
{{#scope.notes}}
| Note | {{.}} |
{{/scope.notes}}

| Workspace | Id | Keys | Pages | Listings | Consistent |
|---|---|--:|--:|--:|---|
{{#scope.workspaces}}
| {{name}} | `{{id}}` | {{keys}} | {{pages}} | {{attempts}} | {{#consistent}}yes{{/consistent}}{{^consistent}}**no**{{/consistent}} |
{{/scope.workspaces}}

### Policy in force

Policy: {{policy.source}}. Stale after {{policy.stale_after_days}} days · expiring within {{policy.expiring_within_days}} days · unused after {{policy.unused_after_days}} days · limit nearly exhausted below {{policy.limit_remaining_share}} remaining · suppressions expiring within {{policy.suppression_warning_days}} days flagged.

| Rule | Enabled | Severity |
|---|---|---|
{{#policy.rules}}
| `{{id}}` {{title}} | {{#enabled}}yes{{/enabled}}{{^enabled}}**no**{{/enabled}} | {{severity}}{{#overridden}} (set by policy){{/overridden}} |
{{/policy.rules}}

"""####,
        "inventory.html.mustache": ####"""
<section id="inventory">
<h2>Key inventory</h2>
<details>
<summary>All {{summary.keys}} keys, sorted by hash (click to open)</summary>
<table class="inventory">
<thead><tr><th>Name</th><th>Hash</th><th>Label</th><th>Workspace</th><th>Status</th><th class="num">Limit</th><th class="num">Remaining</th><th>Reset</th><th class="num">Usage</th><th class="num">This month</th><th class="num">BYOK</th><th>Created</th><th>Updated</th><th>Expires</th><th>Last used</th><th class="num">Findings</th><th>Other fields</th></tr></thead>
<tbody>
{{#keys}}
<tr><td class="name"><bdi>{{name}}</bdi></td><td><code>{{hash_short}}</code></td><td><code>{{label}}</code></td><td>{{workspace}}</td><td>{{status}}</td><td class="num">{{limit}}</td><td class="num">{{limit_remaining}}</td><td>{{limit_reset}}</td><td class="num">{{usage}}</td><td class="num">{{usage_monthly}}</td><td class="num">{{byok_usage}}</td><td>{{created_at}}</td><td>{{updated_at}}</td><td>{{expires_at}}</td><td>{{last_used_at}}</td><td class="num">{{findings}}</td><td><code>{{extra}}</code></td></tr>
{{/keys}}
</tbody>
</table>
{{#keys_truncated}}
<p class="note">Showing the first {{shown}} of {{total}} keys; every key is in report.xlsx (sheet Keys) and snapshot.json.</p>
{{/keys_truncated}}
</details>
</section>

"""####,
        "inventory.md.mustache": ####"""
{{% CONTENT_TYPE: MARKDOWN}}
## Key inventory

{{summary.keys}} keys, sorted by hash.

| Name | Hash | Workspace | Status | Limit | Remaining | Reset | Usage | This month | BYOK | Created | Updated | Expires | Last used | Findings |
|---|---|---|---|--:|--:|---|--:|--:|--:|---|---|---|---|--:|
{{#keys}}
| {{name}} | `{{hash_short}}` | {{workspace}} | {{status}} | {{limit}} | {{limit_remaining}} | {{limit_reset}} | {{usage}} | {{usage_monthly}} | {{byok_usage}} | {{created_at}} | {{updated_at}} | {{expires_at}} | {{last_used_at}} | {{findings}} |
{{/keys}}
{{#keys_truncated}}

Showing the first {{shown}} of {{total}} keys; every key is in report.xlsx (sheet Keys) and snapshot.json.
{{/keys_truncated}}

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
<p class="alert" role="alert"><strong>Evidence chain broken.</strong> <code>{{path}}</code> no longer matches the sha256 recorded for it (recorded <code>{{recorded_sha256}}</code>, found <code>{{actual_sha256}}</code>). An earlier snapshot was altered after it was read.</p>
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
<nav><a href="#summary">Summary</a> · <a href="#findings">Findings</a> · <a href="#changes">Changes</a> · <a href="#suppressions">Suppressions</a> · <a href="#scope">Scope and policy</a> · <a href="#inventory">Key inventory</a></nav>
<main>
{{> summary.html}}
{{> findings.html}}
{{> changes.html}}
{{> suppressions.html}}
{{> header.html}}
{{> inventory.html}}
</main>
<footer><p>keyaudit {{tool_version}} · snapshot sha256 <code>{{snapshot_sha256}}</code> · verify the run folder with <code>keyaudit verify {{run_name}}</code> or <code>sha256sum -c SHA256SUMS</code>.</p></footer>
</body>
</html>

"""####,
        "report.md.mustache": ####"""
{{% CONTENT_TYPE: MARKDOWN}}
# OpenRouter key audit — {{run_name}}

Generated {{generated_at}} by keyaudit {{tool_version}} from {{source}}.

{{#broken_chain}}
> **Evidence chain broken.** {{path}} no longer matches the sha256 recorded for it (recorded `{{recorded_sha256}}`, found `{{actual_sha256}}`). An earlier snapshot was altered after it was read; see the `broken-chain` finding.

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
{{> header.md}}

{{> summary.md}}

{{> findings.md}}

{{> changes.md}}

{{> suppressions.md}}

{{> inventory.md}}

"""####,
        "style.html.mustache": ####"""
<style>
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg-alt: #f6f8fa;
  --critical: #7d1a1a; --high: #b42318; --medium: #9a5b00; --low: #1f5fa8; --info: #57606a; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); margin: 0 auto; padding: 1.5rem; max-width: 1400px; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; } h3 { font-size: 1.05rem; margin-top: 1.4rem; }
.run { color: var(--muted); font-weight: normal; }
.meta, .note { color: var(--muted); }
code { font: 12px/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
nav { margin: .8rem 0; padding: .5rem 0; border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); }
nav a { color: var(--low); }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; }
th, td { border: 1px solid var(--line); padding: .3rem .45rem; text-align: left; vertical-align: top; }
th { background: var(--bg-alt); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.name { min-width: 9rem; max-width: 28rem; overflow-wrap: anywhere; unicode-bidi: isolate; }
td.text { min-width: 14rem; overflow-wrap: anywhere; }
td.id { white-space: nowrap; } td.id code { word-break: normal; }
tbody tr:nth-child(even) { background: #fbfcfd; }
.sev { display: inline-block; min-width: 5.2em; padding: 0 .4em; border-radius: 3px; color: #fff; font-weight: 600; text-align: center; }
.sev-critical { background: var(--critical); } .sev-high { background: var(--high); } .sev-medium { background: var(--medium); }
.sev-low { background: var(--low); } .sev-info { background: var(--info); }
.sev-critical::before { content: "■■■ "; } .sev-high::before { content: "■■ "; } .sev-medium::before { content: "■ "; }
tr.suppressed { color: var(--muted); } tr.suppressed .sev { opacity: .55; }
.tag { display: inline-block; padding: 0 .35em; border: 1px solid var(--line); border-radius: 3px; font-size: 12px; }
.tag-new { border-color: var(--high); color: var(--high); }
.alert { border-left: 4px solid var(--high); background: #fff4f2; padding: .6rem .8rem; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: .8rem 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .9rem; min-width: 9rem; }
.card b { display: block; font-size: 1.4rem; }
details > summary { cursor: pointer; font-weight: 600; margin: .6rem 0; }
.inventory tbody { content-visibility: auto; contain-intrinsic-size: auto 40000px; }
@media print {
  body { max-width: none; padding: 0; font-size: 10px; } nav { display: none; }
  .sev { color: #000; background: none !important; border: 1px solid #000; }
  tr { break-inside: avoid; } h2 { break-after: avoid; }
  .inventory tbody { content-visibility: visible; }
}
</style>

"""####,
        "summary.html.mustache": ####"""
<section id="summary">
<h2>Summary</h2>
<div class="cards">
<div class="card"><b>{{summary.keys}}</b>keys</div>
<div class="card"><b>{{summary.enabled}}</b>enabled</div>
<div class="card"><b>{{summary.disabled}}</b>disabled</div>
<div class="card"><b>{{summary.findings}}</b>findings</div>
<div class="card"><b>{{summary.suppressed}}</b>suppressed</div>
<div class="card"><b>{{summary.total_spend}}</b>total spend</div>
<div class="card"><b>{{summary.spend_since_previous}}</b>spend since previous run</div>
</div>
<table class="compact">
<thead><tr><th>Severity</th><th class="num">Findings</th></tr></thead>
<tbody>
{{#summary.by_severity}}
<tr><td><span class="sev sev-{{severity}}">{{severity}}</span></td><td class="num">{{count}}</td></tr>
{{/summary.by_severity}}
</tbody>
</table>
<table class="compact">
<thead><tr><th>Rule</th><th>Title</th><th class="num">Findings</th></tr></thead>
<tbody>
{{#summary.by_rule}}
<tr><td><code>{{rule}}</code></td><td>{{title}}</td><td class="num">{{count}}</td></tr>
{{/summary.by_rule}}
</tbody>
</table>
<p class="note">Counts leave out suppressed findings.</p>
</section>

"""####,
        "summary.md.mustache": ####"""
{{% CONTENT_TYPE: MARKDOWN}}
## Summary

| Keys | Enabled | Disabled | Findings | Suppressed | Total spend | Spend since previous run |
|--:|--:|--:|--:|--:|--:|--:|
| {{summary.keys}} | {{summary.enabled}} | {{summary.disabled}} | {{summary.findings}} | {{summary.suppressed}} | {{summary.total_spend}} | {{summary.spend_since_previous}} |

| Severity | Findings |
|---|--:|
{{#summary.by_severity}}
| {{severity}} | {{count}} |
{{/summary.by_severity}}

| Rule | Findings |
|---|--:|
{{#summary.by_rule}}
| `{{rule}}` {{title}} | {{count}} |
{{/summary.by_rule}}

Counts leave out suppressed findings.

"""####,
        "suppressions.html.mustache": ####"""
<section id="suppressions">
<h2>Suppressions</h2>
{{#suppressions.has_any}}
<table>
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
<p class="note">Expired suppressions no longer suppress: their findings count again. Unmatched ones matched no finding and can probably be removed.</p>
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
| **expired** | {{key}} | `{{rule}}` | {{reason}} | {{owner}} | {{ticket}} | {{expires}} | {{matched}} |
{{/suppressions.expired}}
{{#suppressions.expiring_soon}}
| expiring soon | {{key}} | `{{rule}}` | {{reason}} | {{owner}} | {{ticket}} | {{expires}} | {{matched}} |
{{/suppressions.expiring_soon}}
{{#suppressions.active}}
| active | {{key}} | `{{rule}}` | {{reason}} | {{owner}} | {{ticket}} | {{expires}} | {{matched}} |
{{/suppressions.active}}
{{#suppressions.unmatched}}
| unmatched | {{key}} | `{{rule}}` | {{reason}} | {{owner}} | {{ticket}} | {{expires}} | {{matched}} |
{{/suppressions.unmatched}}

Expired suppressions no longer suppress: their findings count again. Unmatched ones matched no finding and can probably be removed.
{{/suppressions.has_any}}
{{^suppressions.has_any}}
The policy has no suppressions.
{{/suppressions.has_any}}

"""####,
        "report.xlsx.yml": ####"""
# Layout of report.xlsx. Override it by putting a file of the same name in --templates DIR.
#
# Each sheet names a `source` (summary, findings, keys, changes). The summary sheet has a fixed layout;
# the others list their columns: `header`, the view-model `field` (templates/README.md lists them),
# optional `width` (characters; default: computed from the content), optional `format` (an Excel number
# format, for money, number and date fields only) and optional `conditional: severity` (colour the
# column by severity). Every table gets a frozen header row and an autofilter. Times are UTC.
money_format: "$#,##0.00"
date_format: "yyyy-mm-dd hh:mm:ss"
sheets:
  - name: Summary
    source: summary
  - name: Findings
    source: findings
    columns:
      - { header: Severity, field: severity, conditional: severity }
      - { header: Rule, field: rule }
      - { header: Key name, field: key_name, width: 32 }
      - { header: Key hash, field: key_hash, width: 18 }
      - { header: Workspace, field: workspace }
      - { header: Finding, field: message, width: 60 }
      # Each rule's remediation (with the Management API call) is listed once on the Summary sheet; add
      # `- { header: Remediation, field: remediation, width: 60 }` here to repeat it on every row.
      - { header: Status, field: status }
      - { header: First seen (UTC), field: first_seen }
      - { header: Suppressed, field: suppressed }
      - { header: Suppression reason, field: suppression_reason, width: 30 }
      - { header: Suppression owner, field: suppression_owner }
      - { header: Suppression expires, field: suppression_expires }
  - name: Keys
    source: keys
    columns:
      - { header: Name, field: name, width: 32 }
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
      - { header: Findings, field: findings }
      - { header: Unreadable fields, field: problems, width: 40 }
      - { header: Other fields, field: extra, width: 40 }
  - name: Changes
    source: changes
    columns:
      - { header: Change, field: change }
      - { header: Key name, field: key_name, width: 32 }
      - { header: Key hash, field: key_hash, width: 18 }
      - { header: Workspace id, field: workspace_id }
      - { header: Field, field: field }
      - { header: From, field: from, width: 30 }
      - { header: To, field: to, width: 30 }
      - { header: Amount, field: amount }

"""####,
    ]
}
