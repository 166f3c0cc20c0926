//! Secrets: bearer tokens (256 random bits, stored only as SHA-256 hashes) and join codes.

use rand::Rng;
use sha2::{Digest, Sha256};

/// Join codes avoid look-alikes (0/O, 1/I/L) so they can be read off a projector.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
pub const JOIN_CODE_LEN: usize = 6;

/// A new random bearer token, as 64 hex characters.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

/// What the database keeps of a token. Lookups go by this hash, so the token itself is never
/// stored and never compared byte by byte.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A new random join code.
pub fn new_join_code() -> String {
    let mut rng = rand::rng();
    (0..JOIN_CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// Upper-cases and strips spaces and dashes, so "abc-def" finds "ABCDEF".
pub fn normalise_join_code(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token());
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&new_token()));
    }

    #[test]
    fn join_codes_are_short_and_unambiguous() {
        let code = new_join_code();
        assert_eq!(code.len(), JOIN_CODE_LEN);
        assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
        assert_eq!(normalise_join_code(" abc-def "), "ABCDEF");
    }
}
