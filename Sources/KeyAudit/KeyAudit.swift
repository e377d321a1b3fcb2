// The library product: `import KeyAudit` gives a library user the public surface of every stage, the same
// surface the command line is built on. Each stage is its own module (see Package.swift and ARCHITECTURE.md);
// what is not public there is the stages' business.
@_exported import KeyAuditAPI
@_exported import KeyAuditAudit
@_exported import KeyAuditCore
@_exported import KeyAuditDiff
@_exported import KeyAuditReport
@_exported import KeyAuditRun
@_exported import KeyAuditSnapshot
