import Foundation

/// A vaccine a ticket can name.
public struct Vaccine: Hashable, Sendable, Codable {
    /// The code on tickets and in CSV files, e.g. `CORONAVAC`: 1 to 15 digits and uppercase letters.
    public var code: String
    /// The name shown to people.
    public var displayName: String
    /// The minimum number of days between this dose and the next one.
    public var minimumDaysBeforeNextDose: Int
    /// The vaccine's number in the binary form, 1 to 255; a number is never reused for another
    /// vaccine. Built-in vaccines keep theirs when `id` is omitted.
    public var id: Int
    /// The product's code in the Ministry of Health's KFA terminology (Kamus Farmasi dan Alat
    /// Kesehatan), when known; the registry sync then codes the vaccine in KFA.
    public var kfaCode: String?
    /// The KFA display name for `kfaCode`; `displayName` when omitted.
    public var kfaName: String?

    /// A vaccine; `id` defaults to the built-in number of `code`, or 0 (not issuable) for a new code.
    public init(
        code: String, displayName: String, minimumDaysBeforeNextDose: Int, id: Int? = nil,
        kfaCode: String? = nil,
        kfaName: String? = nil
    ) {
        self.code = code
        self.displayName = displayName
        self.minimumDaysBeforeNextDose = minimumDaysBeforeNextDose
        self.id = id ?? VaccineTable.builtInIDs[code] ?? 0
        self.kfaCode = kfaCode
        self.kfaName = kfaName
    }

    enum CodingKeys: String, CodingKey {
        case code, id
        case displayName = "name"
        case minimumDaysBeforeNextDose = "minimum_days_before_next_dose"
        case kfaCode = "kfa_code"
        case kfaName = "kfa_name"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let code = try container.decode(String.self, forKey: .code)
        self.init(
            code: code,
            displayName: try container.decode(String.self, forKey: .displayName),
            minimumDaysBeforeNextDose: try container.decode(
                Int.self, forKey: .minimumDaysBeforeNextDose),
            id: try container.decodeIfPresent(Int.self, forKey: .id),
            kfaCode: try container.decodeIfPresent(String.self, forKey: .kfaCode),
            kfaName: try container.decodeIfPresent(String.self, forKey: .kfaName)
        )
    }
}

/// Why a vaccine table file was refused.
public struct VaccineTableError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// What is wrong with it.
    public var reason: String
    public var description: String { "vaccine table \(path): \(reason)" }
}

/// The vaccines tickets can name: a built-in table, or one read from a JSON file.
public struct VaccineTable: Sendable, Hashable {
    /// Every vaccine, in table order.
    public let vaccines: [Vaccine]
    private let byCode: [String: Vaccine]
    private let byID: [Int: Vaccine]

    static let builtInIDs: [String: Int] = [
        "CORONAVAC": 1, "BIOFARMA": 2, "ASTRAZENECA": 3, "SINOPHARM": 4, "MODERNA": 5,
        "PFIZER": 6, "NOVAVAX": 7, "JANSSEN": 8, "SPUTNIKV": 9,
    ]

    /// The vaccines of Indonesia's programme, with their minimum intervals in days.
    public static let builtIn = VaccineTable(checked: [
        Vaccine(
            code: "CORONAVAC", displayName: "CoronaVac (Sinovac)", minimumDaysBeforeNextDose: 28),
        Vaccine(
            code: "BIOFARMA", displayName: "COVID-19 Vaccine Bio Farma",
            minimumDaysBeforeNextDose: 28),
        Vaccine(
            code: "ASTRAZENECA", displayName: "Vaxzevria (AstraZeneca)",
            minimumDaysBeforeNextDose: 84),
        Vaccine(
            code: "SINOPHARM", displayName: "BBIBP-CorV (Sinopharm)", minimumDaysBeforeNextDose: 21),
        Vaccine(code: "MODERNA", displayName: "Spikevax (Moderna)", minimumDaysBeforeNextDose: 28),
        Vaccine(
            code: "PFIZER", displayName: "Comirnaty (Pfizer-BioNTech)",
            minimumDaysBeforeNextDose: 21),
        Vaccine(code: "NOVAVAX", displayName: "Nuvaxovid (Novavax)", minimumDaysBeforeNextDose: 21),
        Vaccine(code: "JANSSEN", displayName: "Jcovden (Janssen)", minimumDaysBeforeNextDose: 60),
        Vaccine(
            code: "SPUTNIKV", displayName: "Sputnik V (Gamaleya)", minimumDaysBeforeNextDose: 21),
    ])

    /// A table of `vaccines`; throws when codes or ids are invalid or repeated.
    public init(_ vaccines: [Vaccine]) throws(VaccineTableError) {
        try self.init(vaccines, path: "(in memory)")
    }

    /// Reads a table from a JSON file: `{"vaccines": [{"code", "name", "minimum_days_before_next_dose", "id", "kfa_code", "kfa_name"}]}`.
    /// The file replaces the built-in table; `id` may be omitted for built-in codes.
    public init(contentsOf path: String) throws(VaccineTableError) {
        struct File: Decodable { var vaccines: [Vaccine] }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw VaccineTableError(
                path: path, reason: "cannot read the file (\(error.localizedDescription))")
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw VaccineTableError(path: path, reason: "not a vaccine table (\(error))")
        }
        try self.init(file.vaccines, path: path)
    }

    private init(_ vaccines: [Vaccine], path: String) throws(VaccineTableError) {
        var codes = Set<String>()
        var ids = Set<Int>()
        for vaccine in vaccines {
            guard vaccine.code.isCode(maxLength: 15) else {
                throw VaccineTableError(
                    path: path,
                    reason: "code \"\(vaccine.code)\" is not 1 to 15 digits and uppercase letters")
            }
            guard (1...255).contains(vaccine.id) else {
                throw VaccineTableError(
                    path: path, reason: "\(vaccine.code) needs an id from 1 to 255")
            }
            guard vaccine.minimumDaysBeforeNextDose >= 0 else {
                throw VaccineTableError(
                    path: path, reason: "\(vaccine.code) has a negative minimum interval")
            }
            if let kfaCode = vaccine.kfaCode,
                kfaCode.isEmpty || kfaCode.count > 64
                    || kfaCode.contains(where: { $0.isWhitespace })
            {
                throw VaccineTableError(
                    path: path,
                    reason:
                        "\(vaccine.code) has a KFA code that is empty, too long or contains spaces")
            }
            guard codes.insert(vaccine.code).inserted else {
                throw VaccineTableError(path: path, reason: "code \(vaccine.code) appears twice")
            }
            guard ids.insert(vaccine.id).inserted else {
                throw VaccineTableError(path: path, reason: "id \(vaccine.id) appears twice")
            }
        }
        self.init(checked: vaccines)
    }

    private init(checked vaccines: [Vaccine]) {
        self.vaccines = vaccines
        self.byCode = Dictionary(uniqueKeysWithValues: vaccines.map { ($0.code, $0) })
        self.byID = Dictionary(uniqueKeysWithValues: vaccines.map { ($0.id, $0) })
    }

    /// The vaccine with this code, or `nil`.
    public func vaccine(code: String) -> Vaccine? { byCode[code] }

    /// The vaccine with this binary-form number, or `nil`.
    public func vaccine(id: Int) -> Vaccine? { byID[id] }
}
