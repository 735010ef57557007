/// Compares two byte sequences in time that depends only on their lengths, never on where
/// they first differ, so that an attacker cannot learn a secret byte by byte from response times.
///
/// See [OWASP: Timing attacks](https://owasp.org/www-community/attacks/Timing_attack) and
/// [RFC 4231](https://www.rfc-editor.org/rfc/rfc4231) for the MACs it usually compares.
public func constantTimeEquals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for (a, b) in zip(lhs, rhs) {
        difference |= a ^ b
    }
    return difference == 0
}

/// The same comparison for raw buffers, without generic dispatch on the per-request paths.
@inline(__always)
package func constantTimeEquals(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for i in 0..<lhs.count {
        difference |= lhs[i] ^ rhs[i]
    }
    return difference == 0
}
