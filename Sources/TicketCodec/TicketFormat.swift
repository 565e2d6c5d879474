/// The binary and text forms of a ticket, version 1 (see docs/ticket-format.md).
///
/// Binary: `version (1 byte) | key id length (1 byte) | key id (ASCII) | packed fields | tag (16 bytes)`.
/// Text: `VT1:` followed by the Base45 of the binary form.
public enum TicketFormat {
    /// The binary format version this program writes and reads.
    public static let version: UInt8 = 1
    /// The prefix of the text form.
    public static let textPrefix = "VT1:"
    /// The length of the truncated HMAC-SHA256 tag, in bytes.
    public static let tagLength = 16
    /// Day 0 of the binary form's dates.
    public static let epoch = CalendarDate(daysSince1970: 18_262)  // 2020-01-01
    static let epochDays = epoch.daysSince1970

    /// The text form of a binary ticket.
    public static func text(binary: [UInt8]) -> String { textPrefix + Base45.encode(binary) }

    /// The binary form inside a ticket text.
    public static func binary(text: String) -> Result<[UInt8], MalformedReason> {
        let bytes = Array(text.utf8)
        let prefix = Array(textPrefix.utf8)
        guard bytes.starts(with: prefix) else {
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
        guard let binary = Base45.decode(String(decoding: bytes[prefix.count...], as: UTF8.self))
        else {
            return .failure(.badEncoding)
        }
        return .success(binary)
    }

    /// The header of a binary ticket: the key id and where the signed fields start.
    public static func header(of binary: [UInt8]) -> Result<
        (keyID: String, fieldsStart: Int), MalformedReason
    > {
        guard let first = binary.first else { return .failure(.truncated) }
        guard first == version else { return .failure(.unknownVersion(String(first))) }
        guard binary.count >= 2 else { return .failure(.truncated) }
        let idLength = Int(binary[1])
        guard (1...8).contains(idLength) else { return .failure(.fieldOutOfRange("key id")) }
        // Fields of at least one byte and a full tag must follow the key id.
        guard binary.count > 2 + idLength + tagLength else { return .failure(.truncated) }
        let id = binary[2..<(2 + idLength)]
        guard id.allSatisfy(\.isDigitOrUppercase) else {
            return .failure(.fieldOutOfRange("key id"))
        }
        return .success((String(decoding: id, as: UTF8.self), 2 + idLength))
    }

    /// The bytes the tag covers (header and fields) for `ticket`.
    public static func signedBytes(of ticket: Ticket, vaccines: VaccineTable) throws(TicketError)
        -> [UInt8]
    {
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

        var bytes: [UInt8] = [version, UInt8(ticket.keyID.utf8.count)]
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

    /// Reads the fields of a binary ticket whose tag has been checked. `signed` is the binary
    /// form without its tag; `keyID` and `fieldsStart` come from ``header(of:)``.
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
