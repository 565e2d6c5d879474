/// Every outcome code VaxTicket reports, for scripts, the scan log and the officer's screen: a
/// ticket's verification, an image that gives no ticket, and what recording a dose did.
/// `docs/outcomes.md` explains each one; a test keeps the two in step.
public enum OutcomeCode: String, CaseIterable, Codable, Hashable, Sendable {
    // Verification of a ticket.
    /// The ticket is genuine and valid today.
    case valid
    /// The text is not a readable ticket.
    case malformed
    /// The ticket names a key the keyring does not have.
    case unknownKey = "unknown_key"
    /// The ticket's version needs another kind of key than the one it names: altered or forged.
    case wrongAlgorithm = "wrong_algorithm"
    /// A version 1 (HMAC) ticket, checked with public keys only: only the keyring can check it.
    case needsKeyring = "needs_keyring"
    /// The signature does not match: altered or forged.
    case badSignature = "bad_signature"
    /// The ticket's key was retired.
    case keyRetired = "key_retired"
    /// The ticket's first valid day has not come.
    case notYetValid = "not_yet_valid"
    /// The ticket's last valid day has passed.
    case expired
    /// The ticket's serial was revoked.
    case revoked
    /// The ticket was signed with a key after that key had stopped signing (rotated or retired).
    case signedAfterRotation = "signed_after_rotation"
    /// The ticket is valid for more days than the programme allows.
    case validityTooLong = "validity_too_long"

    // An image that gives no ticket.
    /// The image holds no QR code that could be found.
    case noCode = "no_code"
    /// The image's QR codes hold binary data, not text.
    case noText = "no_text"
    /// The file could not be opened or read.
    case unreadableFile = "unreadable_file"
    /// The file is empty.
    case emptyFile = "empty_file"
    /// The file is neither PNG nor JPEG.
    case unknownFormat = "unknown_format"
    /// The image has more pixels than allowed.
    case tooLarge = "too_large"
    /// The image data is truncated or corrupt.
    case corruptImage = "corrupt_image"

    // Recording a dose.
    /// The dose was recorded.
    case recorded
    /// The dose was recorded; the ticket was issued for another site.
    case recordedOtherSite = "recorded_other_site"
    /// The ticket was recorded before; nothing new was written.
    case alreadyRecorded = "already_recorded"
    /// The registrant already has this dose under another serial.
    case doseAlreadyGiven = "dose_already_given"
    /// The previous dose is not recorded.
    case doseOutOfOrder = "dose_out_of_order"
    /// The minimum interval since the previous dose has not passed.
    case tooEarly = "too_early"
    /// The eligibility policy does not allow this dose for this group.
    case notEligible = "not_eligible"
    /// A phone's queued scan claims a time in the future (beyond the allowed clock skew).
    case scannedInFuture = "scanned_in_future"
    /// A phone's queued scan claims a time older than the server accepts from a queue.
    case scannedTooLongAgo = "scanned_too_long_ago"
}
