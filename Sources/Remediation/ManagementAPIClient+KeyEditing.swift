import KeyAuditAPI
import KeyAuditCore

/// The Management API as the applier's ``KeyEditing``: `GET`, `PATCH` and `DELETE /keys/{hash}`, with the
/// listing's retries, deadline and redaction.
extension ManagementAPIClient: KeyEditing {
    package func checkEndpoint() async throws(KeyAuditError) { try await checkKeysEndpoint() }

    package func key(_ hash: String) async throws(EditFailure) -> JSONObject? {
        let answer: KeyAnswer
        do { answer = try await key(hash: hash) } catch { throw .fatal(error) }
        switch answer {
        case .key(let key): return key
        case .missing: return nil
        case .failed(let status, let message): throw .status(status, message)
        }
    }

    package func send(_ request: RemediationPlan.Request) async throws(EditFailure) {
        let hash = String(request.path.dropFirst("/keys/".count))
        let body = request.body.map { JSONWriter.bytes(.object($0), style: .compact) }
        let answer: ManagementAPIClient.ChangeAnswer
        do {
            answer = try await change(hash: hash, method: request.method, body: body)
        } catch {
            throw .fatal(error)
        }
        if case .refused(let status, let message) = answer { throw .status(status, message) }
    }
}
