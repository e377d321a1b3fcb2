import Foundation
import KeyAuditCore
import NIOCore
import NIOHTTP1
import NIOPosix

// A stand-in HTTP/1.1 server for tests: binds 127.0.0.1 on an ephemeral port, hands every request to an async
// handler and answers with what the handler returns, including deliberately broken answers (a hung request, a
// connection reset mid-body, an endless stream of garbage). Only Foundation and SwiftNIO are used.

/// One request as the stand-in received it.
package struct StandInRequest: Sendable {
    /// `GET`, `POST`, …
    var method: String
    /// The path without the query, as sent (not percent-decoded), e.g. `/api/v1/keys`.
    var path: String
    /// Query parameters, percent-decoded; for a repeated name the last value wins; a name without `=` maps to "".
    var query: [String: String]
    /// Header names lower-cased; repeated headers joined with ", ".
    var headers: [String: String]
    /// The request target exactly as sent (path and query).
    var uri: String
    /// Which connection carried the request: 1 for the first connection accepted, 2 for the next, … (keep-alive
    /// reuse shows as the same number).
    var connection: Int
    /// The request's body (a PATCH's JSON), empty for a GET.
    var body: [UInt8] = []
}

/// What the stand-in does with one request.
package enum StandInReply: Sendable {
    /// An ordinary answer. A `content-length` header is added unless `headers` has `content-length` or
    /// `transfer-encoding`; `delay` is waited before anything is sent.
    case respond(status: Int, headers: [(String, String)] = [], body: [UInt8], delay: Duration = .zero)
    /// Reads the request and never answers; the connection stays open until the client gives up or `stop()`.
    case hang
    /// Sends the head with a `content-length` larger than `partialBody`, then `partialBody`, then resets the
    /// connection (SO_LINGER 0, so the client sees a RST rather than a clean FIN where the OS allows).
    case resetMidBody(status: Int, partialBody: [UInt8])
    /// 200, `content-type: application/json`, `content-length: bytes`, and then `bytes` bytes of non-JSON garbage
    /// streamed in 64 KiB chunks as the client reads them (the server holds one chunk, not the whole body).
    case garbage(bytes: Int)
    /// The head (with a `content-length` for the whole body) at once, then `body` one byte every `interval`:
    /// a server that keeps a client busy for as long as it likes while always seeming to make progress.
    case drip(status: Int, headers: [(String, String)] = [], body: [UInt8], interval: Duration)
    /// The head with a `content-length` larger than `partialBody`, then `partialBody`, then nothing at all: the
    /// connection stays open until the client gives up (or `stop()`).
    case stallMidBody(status: Int, partialBody: [UInt8])
    /// Like ``garbage(bytes:)`` but with `transfer-encoding: chunked` and no `content-length`, so that a client
    /// can only find out that the body is too large by counting what it reads (a `content-length` over the limit
    /// lets AsyncHTTPClient's `collect(upTo:)` refuse before reading anything).
    case garbageChunked(bytes: Int)
}

/// A JSON text placed verbatim into the output of ``StandInReply/json(_:status:headers:)`` (and so into the
/// stand-in account's answers), for numbers the encoder would write differently (`1.0`, which it writes as `1`;
/// `12.50`; `1E+400`) or for deliberately odd JSON. Use it as a value in a dictionary or array.
package struct StandInRawJSON: Sendable, CustomStringConvertible {
    package var text: String
    package init(_ text: String) { self.text = text }
    package var description: String { text }
}

extension StandInReply {
    /// `object` as JSON (see ``StandInJSON``); ``StandInRawJSON`` values are written verbatim. An object that is not
    /// valid JSON is a bug in the test and stops it.
    static func json(_ object: Any, status: Int = 200, headers: [(String, String)] = []) -> StandInReply {
        .respond(
            status: status,
            headers: [("content-type", "application/json")] + headers,
            body: StandInJSON.encode(object)
        )
    }

    /// An OpenRouter error answer: `{"error": {"code": status, "message": message}, "user_id": null}`.
    static func error(status: Int, message: String, headers: [(String, String)] = []) -> StandInReply {
        .json(["error": ["code": status, "message": message], "user_id": NSNull()], status: status, headers: headers)
    }

    /// An HTML error page as a load balancer or proxy sends it, e.g. `<title>502 Bad Gateway</title>`.
    static func html(status: Int, headers: [(String, String)] = []) -> StandInReply {
        let title = "\(status) \(HTTPResponseStatus(statusCode: status).reasonPhrase)"
        let page = """
            <html>
            <head><title>\(title)</title></head>
            <body>
            <center><h1>\(title)</h1></center>
            <hr><center>cloudflare</center>
            </body>
            </html>

            """
        return .respond(
            status: status,
            headers: [("content-type", "text/html; charset=UTF-8")] + headers,
            body: Array(page.utf8)
        )
    }
}

/// JSON text from Foundation-style values (`[String: Any]`, `[Any]`, `String`, `Bool`, `Int`, `Double`, `NSNull`,
/// ``StandInRawJSON``), keys sorted, slashes and non-ASCII unescaped. Integral doubles are written without a
/// fraction (`5`, not `5.0`), as JavaScript and JSONSerialization write them; any other value (NSNumber, Decimal,
/// Int64, …) is written by JSONSerialization. Hand-written because JSONSerialization's `.sortedKeys` costs about
/// a millisecond per key object on Linux, and pages of 100 keys are served thousands of times in a test run.
enum StandInJSON {
    static func encode(_ object: Any) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(4096)
        write(object, to: &output)
        return output
    }

    private static func write(_ value: Any, to output: inout [UInt8]) {
        let type = type(of: value)
        if type == String.self {
            writeString(value as! String, to: &output)
        } else if type == Bool.self {
            output += (value as! Bool) ? Array("true".utf8) : Array("false".utf8)
        } else if type == Int.self {
            output += Array(String(value as! Int).utf8)
        } else if type == Double.self {
            output += Array(number(value as! Double).utf8)
        } else if value is NSNull {
            output += Array("null".utf8)
        } else if let raw = value as? StandInRawJSON {
            output += Array(raw.text.utf8)
        } else if let dictionary = value as? [String: Any] {
            output.append(UInt8(ascii: "{"))
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                writeString(key, to: &output)
                output.append(UInt8(ascii: ":"))
                write(dictionary[key]!, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        } else if let array = value as? [Any] {
            output.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                write(element, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        } else {
            let data: Data
            do {
                data = try JSONSerialization.data(
                    withJSONObject: value,
                    options: [.fragmentsAllowed, .withoutEscapingSlashes]
                )
            } catch {
                preconditionFailure("StandInJSON: \(type) is not a JSON value: \(value)")
            }
            output += data
        }
    }

    private static func number(_ value: Double) -> String {
        precondition(value.isFinite, "StandInJSON: \(value) is not a JSON number")
        if abs(value) < 1e15, let whole = Checked.int64(exactly: value) { return String(whole) }
        // Swift writes `1e-07`; JSON (and JavaScript) `1e-7`.
        var text = "\(value)"
        while let range = text.range(of: "e-0") ?? text.range(of: "e+0") {
            text.replaceSubrange(range, with: text[range].dropLast())
        }
        return text
    }

    private static func writeString(_ string: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): output += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: output += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: output += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: output += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

/// A value behind a lock (Foundation only, so that the support code needs no NIOConcurrencyHelpers).
final class StandInLocked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// The stand-in server. Start it with ``start(_:)``, point the client at ``baseURL``, and always ``stop()`` it
/// (or use ``with(_:body:)``, which does).
package final class StandInServer: Sendable {
    private struct State {
        var requests: [StandInRequest] = []
        var connections: [ObjectIdentifier: any Channel] = [:]
        var connectionCount = 0
        var stopped = false
    }

    private typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    /// The garbage reply's chunk size.
    static let garbageChunkSize = 64 * 1024

    package let port: Int
    /// The address it listens on: `127.0.0.1`, or `::1` when started with that host.
    package let host: String
    package var baseURL: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)/api/v1" }

    /// Every request received, in the order their heads arrived.
    package var requests: [StandInRequest] { state.withLock { $0.requests } }

    private let group: MultiThreadedEventLoopGroup
    private let listener: any Channel
    private let state: StandInLocked<State>
    private let acceptLoop: Task<Void, Never>

    private init(
        port: Int,
        host: String,
        group: MultiThreadedEventLoopGroup,
        listener: any Channel,
        state: StandInLocked<State>,
        acceptLoop: Task<Void, Never>
    ) {
        self.port = port
        self.host = host
        self.group = group
        self.listener = listener
        self.state = state
        self.acceptLoop = acceptLoop
    }

    /// A safety net for a test that forgot ``stop()``: close everything without waiting.
    deinit {
        let open = state.withLock { state -> [any Channel]? in
            guard !state.stopped else { return nil }
            state.stopped = true
            return Array(state.connections.values)
        }
        guard let open else { return }
        listener.close(promise: nil)
        for channel in open { channel.close(promise: nil) }
        acceptLoop.cancel()
        group.shutdownGracefully { _ in }
    }

    /// Binds `host` (127.0.0.1, or `::1` for IPv6 loopback) on an ephemeral port and starts answering with `handler`.
    package static func start(
        host: String = "127.0.0.1", _ handler: @escaping @Sendable (StandInRequest) async -> StandInReply
    ) async throws -> StandInServer {
        // One event-loop thread of its own, shut down by stop(): the server's I/O never competes with the client's
        // event loops (AsyncHTTPClient uses the singleton group), and no thread outlives the test.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let state = StandInLocked(State())
        let listener: NIOAsyncChannel<Connection, Never>
        do {
            listener = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .bind(host: host, port: 0) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let accepted = state.withLock { state -> Bool in
                            guard !state.stopped else { return false }
                            state.connections[ObjectIdentifier(channel)] = channel
                            return true
                        }
                        guard accepted else {
                            channel.close(promise: nil)
                            throw ChannelError.ioOnClosedChannel
                        }
                        channel.closeFuture.whenComplete { _ in
                            state.withLock { _ = $0.connections.removeValue(forKey: ObjectIdentifier(channel)) }
                        }
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                            withPipeliningAssistance: true,
                            withErrorHandling: true
                        )
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        guard let port = listener.channel.localAddress?.port else {
            try? await listener.channel.close()
            try? await group.shutdownGracefully()
            throw ChannelError.unknownLocalAddress
        }
        // The server's own work (reading requests, the handler, writing replies) runs on threads of its own, not
        // on the cooperative pool: in a test process that pool (as many threads as cores) is shared with every
        // other test, and a few CPU-bound tests could hold it for tens of seconds while a client waits.
        let acceptLoop = Task(executorPreference: StandInExecutor.shared) {
            do {
                try await listener.executeThenClose { inbound in
                    try await withThrowingDiscardingTaskGroup { tasks in
                        for try await connection in inbound {
                            let number = state.withLock { state -> Int in
                                state.connectionCount += 1
                                return state.connectionCount
                            }
                            tasks.addTask {
                                await serve(connection, number: number, state: state, handler: handler)
                            }
                        }
                    }
                }
            } catch {
                // The listener was closed by stop(); connections are closed there too.
            }
        }
        return StandInServer(
            port: port, host: host, group: group, listener: listener.channel, state: state, acceptLoop: acceptLoop)
    }

    /// Starts a server, runs `body` with it and stops it, also when `body` throws.
    static func with<Result: Sendable>(
        _ handler: @escaping @Sendable (StandInRequest) async -> StandInReply,
        body: (StandInServer) async throws -> Result
    ) async throws -> Result {
        let server = try await start(handler)
        let result: Result
        do {
            result = try await body(server)
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
        return result
    }

    /// Stops listening, closes every open connection (hung ones included), waits for the connection tasks and
    /// shuts the event loop down. Calling it again does nothing.
    package func stop() async throws {
        let open = state.withLock { state -> [any Channel]? in
            guard !state.stopped else { return nil }
            state.stopped = true
            return Array(state.connections.values)
        }
        guard let open else { return }
        listener.close(promise: nil)
        for channel in open { channel.close(promise: nil) }
        // Connection tasks waiting in a handler (latency, a delayed reply) stop waiting when cancelled.
        acceptLoop.cancel()
        await acceptLoop.value
        try await group.shutdownGracefully()
    }

    // MARK: - One connection

    private static func serve(
        _ connection: Connection,
        number: Int,
        state: StandInLocked<State>,
        handler: @Sendable (StandInRequest) async -> StandInReply
    ) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var parts = inbound.makeAsyncIterator()
                var pending: (head: HTTPRequestHead, request: StandInRequest)?
                while let part = try await parts.next() {
                    switch part {
                    case .head(let head):
                        pending = (head, makeRequest(head, connection: number))
                    case .body(let buffer):
                        // Bodies are small (a PATCH of a key); a client that sends more is cut off at 1 MiB.
                        if let count = pending?.request.body.count, count + buffer.readableBytes <= 1 << 20 {
                            pending?.request.body.append(contentsOf: buffer.readableBytesView)
                        }
                    case .end:
                        guard let (head, request) = pending else { continue }
                        pending = nil
                        state.withLock { $0.requests.append(request) }
                        let reply = await handler(request)
                        switch try await send(reply, to: head, outbound: outbound, channel: connection.channel) {
                        case .keepAlive:
                            continue
                        case .close:
                            return
                        case .hang:
                            // Never answer; read (and drop) whatever comes until the peer or stop() closes.
                            while try await parts.next() != nil {}
                            return
                        }
                    }
                }
            }
        } catch {
            // The client went away, the connection was reset on purpose, or stop() closed it.
        }
    }

    private enum AfterReply { case keepAlive, close, hang }

    private static func send(
        _ reply: StandInReply,
        to request: HTTPRequestHead,
        outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
        channel: any Channel
    ) async throws -> AfterReply {
        let keepAlive = request.isKeepAlive
        func head(status: Int, headers: HTTPHeaders) -> HTTPResponseHead {
            var headers = headers
            if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
            return HTTPResponseHead(version: request.version, status: .init(statusCode: status), headers: headers)
        }
        switch reply {
        case .respond(let status, let extraHeaders, let body, let delay):
            if delay > .zero { try await Task.sleep(for: delay) }
            var headers = HTTPHeaders(extraHeaders)
            if !headers.contains(name: "content-length") && !headers.contains(name: "transfer-encoding") {
                headers.add(name: "content-length", value: String(body.count))
            }
            try await outbound.write(.head(head(status: status, headers: headers)))
            if !body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
            try await outbound.write(.end(nil))
            return keepAlive ? .keepAlive : .close

        case .hang:
            return .hang

        case .resetMidBody(let status, let partialBody):
            let declared = partialBody.count + max(1024, partialBody.count)
            let headers = HTTPHeaders([
                ("content-type", "application/json"), ("content-length", String(declared)),
            ])
            // Written on the channel itself (not the async writer) so that the write's completion says the bytes
            // reached the socket before the reset.
            channel.write(HTTPServerResponsePart.head(head(status: status, headers: headers)), promise: nil)
            try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: partialBody))))
            if let socket = channel as? any SocketOptionProvider {
                try? await socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
            }
            try? await channel.close()
            return .close

        case .drip(let status, let extraHeaders, let body, let interval):
            var headers = HTTPHeaders(extraHeaders)
            headers.replaceOrAdd(name: "content-length", value: String(body.count))
            try await outbound.write(.head(head(status: status, headers: headers)))
            for byte in body {
                try await Task.sleep(for: interval)
                try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: [byte]))))
            }
            try await outbound.write(.end(nil))
            return keepAlive ? .keepAlive : .close

        case .stallMidBody(let status, let partialBody):
            let declared = partialBody.count + max(1024, partialBody.count)
            let headers = HTTPHeaders([
                ("content-type", "application/json"), ("content-length", String(declared)),
            ])
            try await outbound.write(.head(head(status: status, headers: headers)))
            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: partialBody))))
            return .hang

        case .garbage(let bytes), .garbageChunked(let bytes):
            var headers = HTTPHeaders([("content-type", "application/json")])
            if case .garbage = reply {
                headers.add(name: "content-length", value: String(max(0, bytes)))
            } else {
                headers.add(name: "transfer-encoding", value: "chunked")
            }
            try await outbound.write(.head(head(status: 200, headers: headers)))
            let chunk = garbageChunk()
            var remaining = max(0, bytes)
            while remaining > 0 {
                let size = min(remaining, chunk.readableBytes)
                // The async writer suspends while the channel is not writable: back-pressure from the client.
                try await outbound.write(.body(.byteBuffer(chunk.getSlice(at: chunk.readerIndex, length: size)!)))
                remaining -= size
            }
            try await outbound.write(.end(nil))
            return keepAlive ? .keepAlive : .close
        }
    }

    /// 64 KiB of bytes that are neither JSON nor UTF-8 (every slice starts with `<`, then binary noise).
    private static func garbageChunk() -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: garbageChunkSize)
        var value: UInt32 = 0x9E37_79B9
        for index in 0..<garbageChunkSize {
            value = value &* 1_664_525 &+ 1_013_904_223
            buffer.writeInteger(index == 0 ? UInt8(ascii: "<") : UInt8(truncatingIfNeeded: value >> 24))
        }
        return buffer
    }

    private static func makeRequest(_ head: HTTPRequestHead, connection: Int) -> StandInRequest {
        let uri = head.uri
        let path: Substring
        var query: [String: String] = [:]
        if let mark = uri.firstIndex(of: "?") {
            path = uri[..<mark]
            for pair in uri[uri.index(after: mark)...].split(separator: "&", omittingEmptySubsequences: true) {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
                let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
                query[name] = value
            }
        } else {
            path = uri[...]
        }
        var headers: [String: String] = [:]
        for (name, value) in head.headers {
            let key = name.lowercased()
            if let existing = headers[key] {
                headers[key] = existing + ", " + value
            } else {
                headers[key] = value
            }
        }
        return StandInRequest(
            method: head.method.rawValue,
            path: String(path),
            query: query,
            headers: headers,
            uri: uri,
            connection: connection
        )
    }
}

/// Runs the stand-in server's tasks on a concurrent dispatch queue of their own (see ``StandInServer/start(_:)``).
final class StandInExecutor: TaskExecutor {
    static let shared = StandInExecutor()
    private let queue = DispatchQueue(label: "keyaudit.stand-in", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
