import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal stand-in Management API on 127.0.0.1 for the HTTP benchmark: one workspace, pages of 100 keys,
/// a fixed latency per request. (The test suite has a fuller one; the benchmark stays self-contained.)
final class BenchServer: Sendable {
    let port: Int
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup

    private init(port: Int, channel: any Channel, group: MultiThreadedEventLoopGroup) {
        self.port = port
        self.channel = channel
        self.group = group
    }

    static func start(keys: [String], latency: Duration) async throws -> BenchServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let page: @Sendable (Int) -> [UInt8] = { offset in
            let slice = offset < keys.count ? keys[offset..<min(offset + 100, keys.count)] : []
            return Array(("{\"data\":[" + slice.joined(separator: ",") + "]}").utf8)
        }
        let pages = stride(from: 0, to: keys.count + 1, by: 100).map(page)
        let workspaces = Array(
            "{\"data\":[{\"id\":\"0febc8de-0000-4000-8000-000000000000\",\"name\":\"Default\",\"slug\":\"default\"}],\"total_count\":1}"
                .utf8)
        let delay = TimeAmount.nanoseconds(
            Int64(latency.components.seconds) * 1_000_000_000 + latency.components.attoseconds / 1_000_000_000)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(pages: pages, page: page, workspaces: workspaces, delay: delay))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return BenchServer(port: channel.localAddress?.port ?? 0, channel: channel, group: group)
    }

    func stop() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let pages: [[UInt8]]
        let page: @Sendable (Int) -> [UInt8]
        let workspaces: [UInt8]
        let delay: TimeAmount
        var uri = ""

        init(pages: [[UInt8]], page: @escaping @Sendable (Int) -> [UInt8], workspaces: [UInt8], delay: TimeAmount) {
            self.pages = pages
            self.page = page
            self.workspaces = workspaces
            self.delay = delay
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): uri = head.uri
            case .body: break
            case .end:
                let body: [UInt8]
                if uri.contains("/workspaces") {
                    body = workspaces
                } else {
                    let offset =
                        URLComponents(string: uri)?.queryItems?.first { $0.name == "offset" }?.value.flatMap(Int.init)
                        ?? 0
                    body = offset % 100 == 0 && offset / 100 < pages.count ? pages[offset / 100] : page(offset)
                }
                let loop = context.eventLoop
                let bound = NIOLoopBound(context, eventLoop: loop)
                loop.scheduleTask(in: delay) {
                    let context = bound.value
                    var headers = HTTPHeaders()
                    headers.add(name: "content-type", value: "application/json")
                    headers.add(name: "content-length", value: String(body.count))
                    context.write(
                        self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
                        promise: nil)
                    context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
                    context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
                }
            }
        }
    }
}
