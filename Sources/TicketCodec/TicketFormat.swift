/// The binary and text forms of a ticket (see docs/ticket-format.md).
///
/// Binary: `version (1 byte) | key id length (1 byte) | key id (ASCII) | packed fields | signature`,
/// the signature a 16-byte truncated HMAC-SHA256 tag in version 1 and a 64-byte Ed25519
/// signature in version 2, over every byte before it.
/// Text: `VT1:` or `VT2:` followed by the Base45 of the binary form.
public enum TicketFormat {
    /// The version byte of version 1 (HMAC) tickets, the version this program wrote first.
    public static let version: UInt8 = TicketVersion.v1.rawValue
    /// The prefix of version 1's text form.
    public static let textPrefix = TicketVersion.v1.textPrefix
    /// The length of version 1's truncated HMAC-SHA256 tag, in bytes.
    public static let tagLength = 16
    /// The length of version 2's Ed25519 signature, in bytes.
    public static let signatureLength = 64
    /// Day 0 of the binary form's dates.
    public static let epoch = CalendarDate(daysSince1970: 18_262)  // 2020-01-01
    static let epochDays = epoch.daysSince1970

    /// The text form of a binary ticket, its prefix chosen by its version byte (`VT1:` when the
    /// byte is no known version, as before there were several).
    public static func text(binary: [UInt8]) -> String {
        let version = binary.first.flatMap(TicketVersion.init(rawValue:)) ?? .v1
        return version.textPrefix + Base45.encode(binary)
    }

    /// The binary form inside a ticket text. The prefix and the binary form's version byte must
    /// name the same version: a `VT2:` text around a version 1 binary form is `unknown_version`
    /// (a version byte no version has is refused the same way when the header is read).
    public static func binary(text: String) -> Result<[UInt8], MalformedReason> {
        let bytes = Array(text.utf8)
        guard
            let version = TicketVersion.allCases.first(where: {
                bytes.starts(with: Array($0.textPrefix.utf8))
            })
        else {
            // "VT<digits>:" is a ticket of another version; anything else is not a ticket.
            if bytes.starts(with: Array("VT".utf8)),
                let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 2,
                bytes[2..<colon].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
                )
            {
                return .failure(.unknownVersion(String(decoding: bytes[..<colon], as: UTF8.self)))
            }
            return .failure(.notATicket)
        }
        let prefixLength = version.textPrefix.utf8.count
        guard
            let binary = Base45.decode(
                String(decoding: bytes[prefixLength...], as: UTF8.self))
        else {
            return .failure(.badEncoding)
        }
        // A byte of no known version is left for ``header(of:)`` to report.
        if let first = binary.first, first != version.rawValue,
            TicketVersion(rawValue: first) != nil
        {
            return .failure(
                .unknownVersion("\(version.textPrefix.dropLast()) with version byte \(first)"))
        }
        return .success(binary)
    }

    /// The header of a binary ticket: its version, the key id and where the signed fields start.
    public static func header(of binary: [UInt8]) -> Result<
        (version: TicketVersion, keyID: String, fieldsStart: Int), MalformedReason
    > {
        guard let first = binary.first else { return .failure(.truncated) }
        guard let version = TicketVersion(rawValue: first) else {
            return .failure(.unknownVersion(String(first)))
        }
        guard binary.count >= 2 else { return .failure(.truncated) }
        let idLength = Int(binary[1])
        guard (1...8).contains(idLength) else { return .failure(.fieldOutOfRange("key id")) }
        // Fields of at least one byte and a full tag or signature must follow the key id.
        guard binary.count > 2 + idLength + version.signatureLength else {
            return .failure(.truncated)
        }
        let id = binary[2..<(2 + idLength)]
        guard id.allSatisfy(\.isDigitOrUppercase) else {
            return .failure(.fieldOutOfRange("key id"))
        }
        return .success((version, String(decoding: id, as: UTF8.self), 2 + idLength))
    }

    /// The bytes the tag or signature covers (header and fields) for `ticket` in `version`.
    public static func signedBytes(
        of ticket: Ticket, version: TicketVersion = .v1, vaccines: VaccineTable
    ) throws(TicketError) -> [UInt8] {
        guard ticket.registrant.isCode(maxLength: 20) else {
            throw .invalidRegistrant(ticket.registrant)
        }
        guard (1...9).contains(ticket.dose) else { throw .invalidDose(ticket.dose) }
        guard let vaccine = vaccines.vaccine(code: ticket.vaccine), (1...255).contains(vaccine.id)
        else {
            throw .unknownVaccine(ticket.vaccine)
        }
        guard ticket.site.isCode(maxLength: 8) else { throw .invalidSite(ticket.site) }
        guard ticket.keyID.isCode(maxLength: 8) else { throw .invalidKeyID(ticket.keyID) }
        let from = ticket.validFrom.daysSince1970 - epochDays
        let until = ticket.validUntil.daysSince1970 - epochDays
        guard (0...0xFFFF).contains(from) else { throw .dateOutOfRange(ticket.validFrom) }
        guard (0...0xFFFF).contains(until) else { throw .dateOutOfRange(ticket.validUntil) }
        guard until >= from else {
            throw .validUntilBeforeValidFrom(ticket.validFrom, ticket.validUntil)
        }

        var bytes: [UInt8] = [version.rawValue, UInt8(ticket.keyID.utf8.count)]
        bytes.reserveCapacity(64)
        bytes += ticket.keyID.utf8
        var writer = BitWriter()
        writer.write(ticket.serial, bits: 64)
        let registrant = Array(ticket.registrant.utf8)
        let digitsOnly = registrant.allSatisfy { $0 <= UInt8(ascii: "9") }
        writer.write(digitsOnly ? 0 : 1, bits: 1)
        writer.write(UInt64(registrant.count), bits: 5)
        if digitsOnly {
            CodePacking.writeDigits(registrant, to: &writer)
        } else {
            CodePacking.writeAlphanumeric(registrant, to: &writer)
        }
        writer.write(UInt64(ticket.dose), bits: 4)
        writer.write(ticket.group.wireValue, bits: 3)
        writer.write(UInt64(vaccine.id), bits: 8)
        let site = Array(ticket.site.utf8)
        writer.write(UInt64(site.count), bits: 4)
        CodePacking.writeAlphanumeric(site, to: &writer)
        writer.write(UInt64(from), bits: 16)
        writer.write(UInt64(until), bits: 16)
        return bytes + writer.bytes
    }

    /// Reads the fields of a binary ticket whose tag or signature has been checked. `signed` is
    /// the binary form without its tag or signature; `keyID` and `fieldsStart` come from
    /// ``header(of:)``. The fields are the same in every version.
    public static func fields(
        of signed: ArraySlice<UInt8>, keyID: String, fieldsStart: Int, vaccines: VaccineTable
    ) -> Result<Ticket, MalformedReason> {
        var reader = BitReader(signed[(signed.startIndex + fieldsStart)...])
        guard let serial = reader.read(bits: 64), let alphanumeric = reader.read(bits: 1),
            let length = reader.read(bits: 5)
        else {
            return .failure(.truncated)
        }
        guard (1...20).contains(length) else { return .failure(.fieldOutOfRange("registrant")) }
        let registrantBytes: [UInt8]
        switch alphanumeric == 0
            ? CodePacking.readDigits(count: Int(length), from: &reader)
            : CodePacking.readAlphanumeric(count: Int(length), field: "registrant", from: &reader)
        {
        case .success(let bytes): registrantBytes = bytes
        case .failure(let reason): return .failure(reason)
        }
        // One encoding per value: a registrant of digits only must use the digit packing.
        if alphanumeric == 1, registrantBytes.allSatisfy({ $0 <= UInt8(ascii: "9") }) {
            return .failure(.fieldOutOfRange("registrant"))
        }
        guard let dose = reader.read(bits: 4), let groupValue = reader.read(bits: 3),
            let vaccineID = reader.read(bits: 8),
            let siteLength = reader.read(bits: 4)
        else { return .failure(.truncated) }
        guard (1...9).contains(dose) else { return .failure(.fieldOutOfRange("dose")) }
        guard let group = PriorityGroup(wireValue: groupValue) else {
            return .failure(.fieldOutOfRange("group"))
        }
        guard let vaccine = vaccines.vaccine(id: Int(vaccineID)) else {
            return .failure(.fieldOutOfRange("vaccine"))
        }
        guard (1...8).contains(siteLength) else { return .failure(.fieldOutOfRange("site")) }
        let siteBytes: [UInt8]
        switch CodePacking.readAlphanumeric(count: Int(siteLength), field: "site", from: &reader) {
        case .success(let bytes): siteBytes = bytes
        case .failure(let reason): return .failure(reason)
        }
        guard let from = reader.read(bits: 16), let until = reader.read(bits: 16) else {
            return .failure(.truncated)
        }
        guard until >= from else { return .failure(.fieldOutOfRange("valid until")) }
        guard reader.isAtPaddedEnd else { return .failure(.trailingBytes) }
        return .success(
            Ticket(
                serial: serial, registrant: String(decoding: registrantBytes, as: UTF8.self),
                dose: Int(dose),
                vaccine: vaccine.code, group: group,
                site: String(decoding: siteBytes, as: UTF8.self),
                validFrom: CalendarDate(daysSince1970: epochDays + Int(from)),
                validUntil: CalendarDate(daysSince1970: epochDays + Int(until)), keyID: keyID
            ))
    }
}
