import Foundation
import KeyAuditFuzzing

// libFuzzer's entry points. The target comes from KEYAUDIT_FUZZ_TARGET (json, timestamp, policy, snapshot);
// a broken property becomes a crash, so libFuzzer keeps the input that broke it (see Fuzz/README.md).

nonisolated(unsafe) private var selected: FuzzTarget = .json

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> Int32 {
    let name = ProcessInfo.processInfo.environment["KEYAUDIT_FUZZ_TARGET"] ?? "json"
    guard let target = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data("keyaudit-fuzz: unknown KEYAUDIT_FUZZ_TARGET \(name)\n".utf8))
        exit(64)
    }
    selected = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let problem = selected.check(bytes) {
        fatalError("keyaudit-fuzz (\(selected.rawValue)): \(problem)")
    }
    return 0
}
