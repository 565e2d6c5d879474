import Foundation

/// The rules for text that people type or other systems send, in one place.
///
/// - Free text given by people (reasons, notes, officer and station names): no control or
///   invisible format characters, which could break a line-based file or rewrite a terminal,
///   and a sane length (``problem(in:)``).
/// - Names printed on cards and shown to officers (a registrant's, a site's): normalised to
///   NFC, free of bidirectional controls, invisible characters and stacks of combining marks,
///   and bounded in characters and in Unicode scalars (``name(_:)``).
/// - Text from another system (a registry's error, a database server's message): escape
///   sequences and control characters stripped before it reaches a terminal or a table
///   (``sanitized(_:limit:)``).
/// - Values quoted in messages: cut and escaped (``excerpt(_:)``, ``escaped(_:)``).
public enum FreeText {
    /// The longest free text accepted, in characters.
    public static let maximumLength = 200

    /// What is wrong with `text`, as the end of a sentence ("contains a control character"), or `nil`.
    public static func problem(in text: String) -> String? {
        if text.unicodeScalars.contains(where: isControl) {
            return "contains a control character (a line break, tab or escape)"
        }
        if let scalar = text.unicodeScalars.first(where: isFormat) {
            return "contains \(NameError.codePoint(scalar.value)), an invisible character"
        }
        if text.count > maximumLength { return "is longer than \(maximumLength) characters" }
        return nil
    }

    /// The longest piece of a value read from a file or a request that an error message quotes.
    public static let excerptLimit = 200

    /// `text` cut to ``excerptLimit`` characters, control and invisible characters escaped, for
    /// quoting in a message: a 5 MB field is never echoed whole, and never reaches a terminal raw.
    public static func excerpt(_ text: String) -> String {
        var out = ""
        var count = 0
        var marks = 0
        for scalar in text.unicodeScalars {
            if count >= excerptLimit {
                out += "... (\(text.utf8.count) bytes in all)"
                break
            }
            out += escaped(scalar, marks: &marks)
            count += 1
        }
        return out
    }

    /// `text` with control and invisible characters escaped (`\r`, `\u{1B}`, `\u{202E}`), and
    /// combining marks beyond ``maximumMarksPerLetter`` on one letter too, for printing a
    /// stored value to a terminal.
    public static func escaped(_ text: String) -> String {
        var out = ""
        var marks = 0
        for scalar in text.unicodeScalars { out += escaped(scalar, marks: &marks) }
        return out
    }

    private static func escaped(_ scalar: Unicode.Scalar, marks: inout Int) -> String {
        if isMark(scalar) {
            marks += 1
            if marks > maximumMarksPerLetter { return scalar.escaped(asASCII: true) }
        } else {
            marks = 0
        }
        return isControl(scalar) || isFormat(scalar)
            ? scalar.escaped(asASCII: true) : String(scalar)
    }

    /// C0 and C1 control characters, DEL, and the line and paragraph separators.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: true
        default: false
        }
    }

    /// Invisible format characters: bidirectional controls, zero-width characters and joiners,
    /// the byte order mark, soft hyphens, tags.
    static func isFormat(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .format
    }

    /// Bidirectional overrides, embeddings and isolates (U+202A to U+202E, U+2066 to U+2069)
    /// and the marks (U+200E, U+200F, U+061C): each reorders or redirects the text around it.
    static func isBidirectionalControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    static func isMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: true
        default: false
        }
    }
}

// MARK: - Names

extension FreeText {
    /// The longest name, in characters (what a reader counts as one letter with its accents).
    public static let maximumNameCharacters = 100
    /// The longest name in Unicode scalars, which is what layout and drawing work through: a
    /// single character may hold hundreds of them (Hangul jamo, stacked marks), so a cap on
    /// characters alone does not bound the work. Twice ``maximumNameCharacters`` leaves every
    /// real name room for one accent or vowel sign per letter.
    public static let maximumNameScalars = 200
    /// The most combining marks one letter may carry. Javanese script reaches four (ꦏꦿꦺꦴꦁ,
    /// "krong": cakra, taling, tarung and cecak on one consonant); Arabic with its vowels two;
    /// Vietnamese in NFC none or one. "Zalgo" text stacks dozens.
    public static let maximumMarksPerLetter = 4

    /// `text` normalised to NFC, when it is fit to print on a card and show to an officer as a
    /// person's or a site's name; otherwise why not. Leading and trailing spaces are the
    /// caller's to trim; an empty name is the caller's to allow or refuse.
    public static func name(_ text: String) throws(NameError) -> String {
        // NFC at most triples the scalars, so anything longer cannot pass: refused before the
        // work of normalising it.
        guard text.unicodeScalars.count <= 3 * maximumNameScalars else { throw .tooManyScalars }
        let normalized = text.precomposedStringWithCanonicalMapping
        var scalars = 0
        var marks = 0
        for scalar in normalized.unicodeScalars {
            scalars += 1
            if isControl(scalar) { throw .controlCharacter(scalar.value) }
            if isBidirectionalControl(scalar) { throw .bidirectionalControl(scalar.value) }
            if isFormat(scalar) { throw .invisibleCharacter(scalar.value) }
            if scalar.properties.generalCategory == .privateUse {
                throw .privateUseCharacter(scalar.value)
            }
            if isMark(scalar) {
                guard scalars > 1 else { throw .leadingMark(scalar.value) }
                marks += 1
                guard marks <= maximumMarksPerLetter else { throw .tooManyMarks }
            } else {
                marks = 0
            }
        }
        guard scalars <= maximumNameScalars else { throw .tooManyScalars }
        guard normalized.count <= maximumNameCharacters else { throw .tooLong }
        return normalized
    }
}

/// Why a name cannot be printed on a card or shown to an officer.
public enum NameError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A control character (a line break, a tab, an escape), by its code point.
    case controlCharacter(UInt32)
    /// A bidirectional override, embedding, isolate or mark, which reorders the text around it.
    case bidirectionalControl(UInt32)
    /// An invisible format character: zero width, a joiner, a byte order mark, a soft hyphen.
    case invisibleCharacter(UInt32)
    /// A private-use character, which each font draws differently or not at all.
    case privateUseCharacter(UInt32)
    /// A combining mark with no letter before it.
    case leadingMark(UInt32)
    /// A letter with more combining marks than ``FreeText/maximumMarksPerLetter``.
    case tooManyMarks
    /// More characters than ``FreeText/maximumNameCharacters``.
    case tooLong
    /// More Unicode scalars than ``FreeText/maximumNameScalars``.
    case tooManyScalars

    /// A stable machine code.
    public var code: String {
        switch self {
        case .controlCharacter: "name_control_character"
        case .bidirectionalControl: "name_bidirectional_control"
        case .invisibleCharacter: "name_invisible_character"
        case .privateUseCharacter: "name_private_use_character"
        case .leadingMark: "name_leading_mark"
        case .tooManyMarks: "name_too_many_marks"
        case .tooLong: "name_too_long"
        case .tooManyScalars: "name_too_many_scalars"
        }
    }

    /// The end of a sentence that starts with the field's name ("name holds ...").
    public var description: String {
        switch self {
        case .controlCharacter(let value):
            "holds a control character (\(Self.codePoint(value)): a line break, tab or escape)"
        case .bidirectionalControl(let value):
            "holds \(Self.codePoint(value)), a bidirectional control that reorders the text around it"
        case .invisibleCharacter(let value):
            "holds \(Self.codePoint(value)), an invisible character"
        case .privateUseCharacter(let value):
            "holds \(Self.codePoint(value)), a private-use character no font shows the same"
        case .leadingMark(let value):
            "starts with \(Self.codePoint(value)), a combining mark with no letter to sit on"
        case .tooManyMarks:
            "has a letter with more than \(FreeText.maximumMarksPerLetter) combining marks"
        case .tooLong: "is longer than \(FreeText.maximumNameCharacters) characters"
        case .tooManyScalars:
            "is longer than \(FreeText.maximumNameScalars) Unicode code points (letters and accents)"
        }
    }

    /// `U+202E RIGHT-TO-LEFT OVERRIDE`: the code point and, when Unicode gives one, its name.
    static func codePoint(_ value: UInt32) -> String {
        let hex = String(value, radix: 16, uppercase: true)
        let number = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        guard let scalar = Unicode.Scalar(value), let name = scalar.properties.name else {
            return number
        }
        return "\(number) \(name)"
    }
}

// MARK: - Text from outside

extension FreeText {
    /// The longest text from another system that is printed or stored, in Unicode scalars.
    public static let outsideTextLimit = 500

    /// `text` from another system (a registry's error description or OperationOutcome, a
    /// database server's message) made safe to print on a terminal and to store:
    ///
    /// - escape sequences are removed whole: CSI (`ESC [ ... m`, `ESC[2J`), OSC with its
    ///   hyperlinks and window titles (`ESC ] 8 ;; URL ESC \`), DCS, SOS, PM and APC strings,
    ///   two-character escapes, and their one-byte C1 forms;
    /// - line breaks, tabs and other spaces become one space, so `\r` cannot overwrite what was
    ///   printed before it;
    /// - every other control character (C0, DEL, C1) and every invisible format character
    ///   (bidirectional overrides and isolates, zero-width characters) is dropped;
    /// - combining marks beyond ``maximumMarksPerLetter`` on one letter are dropped;
    /// - the result is cut to `limit` scalars, with `…` where it was cut.
    public static func sanitized(_ text: String, limit: Int = outsideTextLimit) -> String {
        var cleaner = OutsideTextCleaner(limit: max(limit, 0))
        for scalar in text.unicodeScalars {
            guard cleaner.take(scalar) else { break }
        }
        return cleaner.result
    }
}

/// The state machine behind ``FreeText/sanitized(_:limit:)``, one scalar at a time.
private struct OutsideTextCleaner {
    /// Where in an escape sequence the scanner is.
    private enum State {
        case text
        /// After ESC.
        case escape
        /// After ESC and intermediate bytes (0x20 to 0x2F), before the final byte.
        case intermediate
        /// Inside a control sequence (ESC [ or CSI), before its final byte.
        case controlSequence
        /// Inside a command string (OSC, DCS, SOS, PM, APC), before its terminator.
        case commandString
    }

    let limit: Int
    private var state = State.text
    private var out = String.UnicodeScalarView()
    private var kept = 0
    private var marks = 0
    private var space = false
    private var cut = false

    init(limit: Int) {
        self.limit = limit
    }

    var result: String {
        cut ? String(out) + "…" : String(out)
    }

    /// Takes one scalar; false once the limit is reached and the rest can be ignored.
    mutating func take(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        switch state {
        case .text:
            break
        case .escape:
            switch value {
            case 0x5B:  // [
                state = .controlSequence
                return true
            case 0x5D, 0x50, 0x58, 0x5E, 0x5F:  // ] P X ^ _
                state = .commandString
                return true
            case 0x20...0x2F:
                state = .intermediate
                return true
            case 0x30...0x7E:
                // A two-character escape (ESC 7, ESC c, ESC \): dropped whole.
                state = .text
                return true
            default:
                // Not an escape after all: the ESC alone is dropped, this scalar is text.
                state = .text
            }
        case .intermediate:
            if (0x20...0x2F).contains(value) { return true }
            state = .text
            if (0x30...0x7E).contains(value) { return true }
        case .controlSequence:
            if (0x20...0x3F).contains(value) { return true }
            state = .text
            if (0x40...0x7E).contains(value) { return true }
        case .commandString:
            switch value {
            case 0x07, 0x9C, 0x18, 0x1A:  // BEL, ST, CAN, SUB end it
                state = .text
            case 0x1B:
                // ESC \ is the usual terminator; terminals end the string at any ESC.
                state = .escape
            default:
                break
            }
            return true
        }
        return text(scalar)
    }

    private mutating func text(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x1B:
            state = .escape
            return true
        case 0x9B:
            state = .controlSequence
            return true
        case 0x90, 0x98, 0x9D, 0x9E, 0x9F:
            state = .commandString
            return true
        case 0x09...0x0D, 0x85, 0x2028, 0x2029:
            space = true
            marks = 0
            return true
        default:
            break
        }
        if scalar.properties.generalCategory == .spaceSeparator {
            space = true
            marks = 0
            return true
        }
        if FreeText.isControl(scalar) || FreeText.isFormat(scalar) { return true }
        if FreeText.isMark(scalar) {
            marks += 1
            if marks > FreeText.maximumMarksPerLetter { return true }
        } else {
            marks = 0
        }
        if space && kept > 0 {
            guard append(" ") else { return false }
        }
        space = false
        return append(scalar)
    }

    private mutating func append(_ scalar: Unicode.Scalar) -> Bool {
        guard kept < limit else {
            cut = true
            return false
        }
        out.append(scalar)
        kept += 1
        return true
    }
}
