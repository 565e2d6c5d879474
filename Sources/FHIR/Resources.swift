// FHIR R4 data types and resources, only the elements the registry sync uses. Field names are
// FHIR's own, so `JSONEncoder` writes valid FHIR JSON; absent optionals are left out.

/// A code in a code system (FHIR `Coding`).
public struct Coding: Codable, Hashable, Sendable {
    /// The code system's URI.
    public var system: String?
    /// The code.
    public var code: String?
    /// The code's human name.
    public var display: String?

    /// A coding with every field given.
    public init(system: String?, code: String?, display: String? = nil) {
        self.system = system
        self.code = code
        self.display = display
    }
}

/// A concept as one or more codings and a text (FHIR `CodeableConcept`).
public struct CodeableConcept: Codable, Hashable, Sendable {
    /// The codings.
    public var coding: [Coding]?
    /// The concept in words.
    public var text: String?

    /// A concept with every field given.
    public init(coding: [Coding]?, text: String? = nil) {
        self.coding = coding
        self.text = text
    }
}

/// A business identifier in a namespace (FHIR `Identifier`).
public struct Identifier: Codable, Hashable, Sendable {
    /// The namespace URI.
    public var system: String?
    /// The value in that namespace.
    public var value: String?

    /// An identifier with every field given.
    public init(system: String?, value: String?) {
        self.system = system
        self.value = value
    }
}

/// A reference to another resource, here by business identifier (FHIR `Reference`).
public struct Reference: Codable, Hashable, Sendable {
    /// A literal reference such as `Patient/123`.
    public var reference: String?
    /// The referenced resource's business identifier.
    public var identifier: Identifier?
    /// A text for people.
    public var display: String?

    /// A reference with every field given.
    public init(reference: String? = nil, identifier: Identifier? = nil, display: String? = nil) {
        self.reference = reference
        self.identifier = identifier
        self.display = display
    }
}

/// A FHIR R4 `Immunization`: one administered dose.
public struct Immunization: Codable, Hashable, Sendable {
    /// Who performed the vaccination and in which role.
    public struct Performer: Codable, Hashable, Sendable {
        /// The role, e.g. `AP` (administering provider).
        public var function: CodeableConcept?
        /// The person.
        public var actor: Reference

        /// A performer with every field given.
        public init(function: CodeableConcept?, actor: Reference) {
            self.function = function
            self.actor = actor
        }
    }

    /// Which dose of the series this was.
    public struct ProtocolApplied: Codable, Hashable, Sendable {
        /// The dose number, 1 for the first dose.
        public var doseNumberPositiveInt: Int

        /// A protocol entry with its dose number.
        public init(doseNumberPositiveInt: Int) {
            self.doseNumberPositiveInt = doseNumberPositiveInt
        }
    }

    /// Always `Immunization`.
    public var resourceType: String
    /// Business identifiers; ours is the ticket serial.
    public var identifier: [Identifier]?
    /// `completed` for a dose that was given.
    public var status: String
    /// The vaccine product.
    public var vaccineCode: CodeableConcept
    /// The vaccinated person.
    public var patient: Reference
    /// When the dose was given, with its UTC offset.
    public var occurrenceDateTime: String?
    /// When the dose was first recorded.
    public var recorded: String?
    /// Whether the record comes from the people who gave the dose.
    public var primarySource: Bool?
    /// Where the dose was given.
    public var location: Reference?
    /// The vial's lot number.
    public var lotNumber: String?
    /// Who gave the dose.
    public var performer: [Performer]?
    /// The dose number in the series.
    public var protocolApplied: [ProtocolApplied]?

    /// An immunization with every field given.
    public init(
        identifier: [Identifier]?, status: String, vaccineCode: CodeableConcept, patient: Reference,
        occurrenceDateTime: String?, recorded: String?, primarySource: Bool?, location: Reference?,
        lotNumber: String?, performer: [Performer]?, protocolApplied: [ProtocolApplied]?
    ) {
        self.resourceType = "Immunization"
        self.identifier = identifier
        self.status = status
        self.vaccineCode = vaccineCode
        self.patient = patient
        self.occurrenceDateTime = occurrenceDateTime
        self.recorded = recorded
        self.primarySource = primarySource
        self.location = location
        self.lotNumber = lotNumber
        self.performer = performer
        self.protocolApplied = protocolApplied
    }
}

/// A FHIR `OperationOutcome`: the server's explanation of an error.
public struct OperationOutcome: Codable, Hashable, Sendable {
    /// One problem.
    public struct Issue: Codable, Hashable, Sendable {
        /// `fatal`, `error`, `warning` or `information`.
        public var severity: String
        /// The issue type, e.g. `invalid`, `duplicate`, `not-found`.
        public var code: String
        /// Details as a concept.
        public var details: CodeableConcept?
        /// Details for people.
        public var diagnostics: String?

        /// An issue with every field given.
        public init(
            severity: String, code: String, details: CodeableConcept? = nil,
            diagnostics: String? = nil
        ) {
            self.severity = severity
            self.code = code
            self.details = details
            self.diagnostics = diagnostics
        }
    }

    /// Always `OperationOutcome`.
    public var resourceType: String
    /// The problems.
    public var issue: [Issue]

    /// An outcome with its issues.
    public init(issue: [Issue]) {
        self.resourceType = "OperationOutcome"
        self.issue = issue
    }

    /// The issues in one line: `error invalid: the text; ...`.
    public var text: String {
        let parts = issue.map { issue -> String in
            let words =
                issue.diagnostics ?? issue.details?.text ?? issue.details?.coding?.first?.display
                ?? ""
            return words.isEmpty
                ? "\(issue.severity) \(issue.code)" : "\(issue.severity) \(issue.code): \(words)"
        }
        return parts.isEmpty ? "no issue given" : parts.joined(separator: "; ")
    }
}

/// Only the type of a resource, for answers whose resources we do not need.
public struct ResourceHeader: Codable, Hashable, Sendable {
    /// The resource type, e.g. `Immunization`.
    public var resourceType: String

    /// A header for `resourceType`.
    public init(resourceType: String) {
        self.resourceType = resourceType
    }
}

/// A FHIR `Bundle` of resources of one Swift type.
public struct FHIRBundle<Resource: Codable & Hashable & Sendable>: Codable, Hashable, Sendable {
    /// What the bundle is for.
    public enum Kind: String, Codable, Hashable, Sendable {
        /// A set of writes applied all or nothing.
        case transaction
        /// The answer to a transaction.
        case transactionResponse = "transaction-response"
        /// A set of independent writes.
        case batch
        /// The answer to a batch.
        case batchResponse = "batch-response"
        /// A set of resources for bulk exchange.
        case collection
    }

    /// How the server should handle an entry.
    public struct Request: Codable, Hashable, Sendable {
        /// The HTTP method, `POST` for a create.
        public var method: String
        /// The relative URL, e.g. `Immunization`.
        public var url: String
        /// The search that makes the create conditional: nothing is created when it matches.
        public var ifNoneExist: String?

        /// A request with every field given.
        public init(method: String, url: String, ifNoneExist: String?) {
            self.method = method
            self.url = url
            self.ifNoneExist = ifNoneExist
        }
    }

    /// How the server handled an entry.
    public struct Response: Codable, Hashable, Sendable {
        /// The HTTP status line, e.g. `201 Created`.
        public var status: String
        /// Where the resource now lives.
        public var location: String?
        /// The server's explanation, for a refusal.
        public var outcome: OperationOutcome?

        /// A response with every field given.
        public init(status: String, location: String? = nil, outcome: OperationOutcome? = nil) {
            self.status = status
            self.location = location
            self.outcome = outcome
        }

        /// The status code at the start of `status`, or `nil`.
        public var statusCode: Int? {
            Int(status.prefix { $0.isNumber })
        }
    }

    /// One entry.
    public struct Entry: Codable, Hashable, Sendable {
        /// A temporary id for the entry's resource.
        public var fullUrl: String?
        /// The resource.
        public var resource: Resource?
        /// What to do with it (transaction and batch).
        public var request: Request?
        /// What was done with it (responses).
        public var response: Response?

        /// An entry with every field given.
        public init(
            fullUrl: String? = nil, resource: Resource? = nil, request: Request? = nil,
            response: Response? = nil
        ) {
            self.fullUrl = fullUrl
            self.resource = resource
            self.request = request
            self.response = response
        }
    }

    /// Always `Bundle`.
    public var resourceType: String
    /// What the bundle is for.
    public var type: Kind
    /// The entries.
    public var entry: [Entry]?

    /// A bundle of `entry`.
    public init(type: Kind, entry: [Entry]?) {
        self.resourceType = "Bundle"
        self.type = type
        self.entry = entry
    }
}
