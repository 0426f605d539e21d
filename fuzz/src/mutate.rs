//! The mutator: small, blind changes to valid encodings.
//!
//! Without coverage feedback, what finds bugs is starting close to valid: a KRPC
//! message with one length off, a yamux header whose window field is 2³² − 1, a CBOR
//! head that claims `u64::MAX` items. Every mutation here is one an attacker's first
//! afternoon would try: flip a bit, set or insert or delete bytes, cut the input short,
//! splice two valid inputs together, and write an "interesting" integer over what may
//! be a length (fixed-width in either byte order, as a LEB128 varint, or as decimal
//! digits for the text formats: bencode, JSON).
//!
//! Every choice comes from one seeded generator, so a run is its seed.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

/// Integers at the edges of every width: where `+ 1`, `* 2` and `as usize` go wrong.
pub const INTERESTING: [u64; 15] = [
    0,
    1,
    0x7f,
    0x80,
    0xff,
    0x100,
    0xffff,
    0x1_0000,
    (1 << 31) - 1,
    1 << 31,
    (1 << 32) - 1,
    1 << 32,
    (1 << 63) - 1,
    1 << 63,
    u64::MAX,
];

/// The generator every random choice of a run comes from. A portable algorithm, so
/// the same seed gives the same inputs on every machine.
pub type Rng = Xoshiro256PlusPlus;

/// A generator for `seed`, made different per target so that two targets of one run
/// do not make the same choices.
pub fn rng_for(seed: u64, target: &str) -> Rng {
    // FNV-1a over the target's name.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in target.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    Rng::seed_from_u64(seed ^ h)
}

/// Makes inputs for one target from its seed corpus.
pub struct Mutator {
    rng: Rng,
    /// The valid encodings every input starts from (directly or a few steps away).
    corpus: Vec<Vec<u8>>,
    /// Mutated inputs the target accepted (they decoded): near-valid inputs further
    /// from the seeds, to start from again. The only feedback this fuzzer takes.
    pool: Vec<Vec<u8>>,
    /// The longest input made: long enough for every seed and some growth, short
    /// enough that inputs stay fast.
    max_len: usize,
    /// The last input, to mutate again (a random walk away from the corpus).
    last: Vec<u8>,
    /// How many mutations `last` is away from a seed.
    depth: usize,
    /// The format's own tokens (see [`Mutator::with_tokens`]).
    tokens: &'static [&'static [u8]],
}

/// How far a random walk goes from a seed before it starts over.
const MAX_DEPTH: usize = 12;

/// How many accepted inputs are kept: 1,024, a few MiB at most.
const MAX_POOL: usize = 1024;

impl Mutator {
    /// A mutator over `corpus` (which must not be empty), its inputs at most `max_len`
    /// bytes (or the longest seed, if longer).
    pub fn new(rng: Rng, corpus: Vec<Vec<u8>>, max_len: usize) -> Mutator {
        assert!(!corpus.is_empty(), "a target needs at least one seed");
        let longest = corpus.iter().map(Vec::len).max().unwrap_or(0);
        Mutator {
            rng,
            corpus,
            pool: Vec::new(),
            max_len: max_len.max(longest),
            last: Vec::new(),
            depth: MAX_DEPTH,
            tokens: &[],
        }
    }

    /// Tokens of the format (a dictionary, as AFL and libFuzzer take one): type bytes
    /// and keywords that blind mutation would rarely make, written over or into the
    /// input, alone or followed by an interesting integer. A CBOR head that announces an
    /// 8-byte length (`7b`) followed by `u64::MAX` is one mutation away this way, and two
    /// unlikely ones without.
    pub fn with_tokens(mut self, tokens: &'static [&'static [u8]]) -> Mutator {
        self.tokens = tokens;
        self
    }

    /// The corpus, unchanged: the first inputs of a run are the seeds themselves.
    pub fn corpus(&self) -> &[Vec<u8>] {
        &self.corpus
    }

    /// Keeps `input`, which the target accepted, as a place to start from. The pool is
    /// bounded: when full, a random entry makes room.
    pub fn accepted(&mut self, input: &[u8]) {
        if self.pool.len() < MAX_POOL {
            self.pool.push(input.to_vec());
        } else {
            let at = self.rng.random_range(0..MAX_POOL);
            self.pool[at] = input.to_vec();
        }
    }

    /// The next input: a seed, an accepted input or the last input, changed by one to
    /// four mutations (one, half of the time: each more is likelier to break the
    /// format's outer layer and stop at the first check).
    pub fn next_input(&mut self) -> Vec<u8> {
        let mut input = if self.depth >= MAX_DEPTH || self.rng.random_bool(0.5) {
            self.depth = 0;
            if !self.pool.is_empty() && self.rng.random_bool(0.5) {
                self.pool[self.rng.random_range(0..self.pool.len())].clone()
            } else {
                self.corpus[self.rng.random_range(0..self.corpus.len())].clone()
            }
        } else {
            std::mem::take(&mut self.last)
        };
        let rounds = if self.rng.random_bool(0.5) { 1 } else { 1 + self.rng.random_range(0..4) };
        for _ in 0..rounds {
            self.mutate(&mut input);
        }
        input.truncate(self.max_len);
        self.depth += 1;
        self.last = input.clone();
        input
    }

    fn offset(&mut self, len: usize) -> usize {
        if len == 0 { 0 } else { self.rng.random_range(0..len) }
    }

    fn interesting(&mut self) -> u64 {
        let n = INTERESTING[self.rng.random_range(0..INTERESTING.len())];
        // Sometimes one off the edge, either way.
        match self.rng.random_range(0..4) {
            0 => n.wrapping_add(1),
            1 => n.wrapping_sub(1),
            _ => n,
        }
    }

    /// One mutation of `input`, in place.
    pub fn mutate(&mut self, input: &mut Vec<u8>) {
        let len = input.len();
        let choices = if self.tokens.is_empty() { 13 } else { 15 };
        match self.rng.random_range(0..choices) {
            // Flip one bit.
            0 if len > 0 => {
                let at = self.offset(len);
                input[at] ^= 1 << self.rng.random_range(0..8);
            }
            // Set one byte.
            1 if len > 0 => {
                let at = self.offset(len);
                input[at] = self.rng.random();
            }
            // Insert a few random bytes, or one byte repeated.
            2 => {
                let at = self.offset(len + 1);
                let n = self.rng.random_range(1..=8);
                let repeat = self.rng.random_bool(0.3).then(|| self.rng.random::<u8>());
                let bytes: Vec<u8> = (0..n).map(|_| repeat.unwrap_or_else(|| self.rng.random())).collect();
                input.splice(at..at, bytes);
            }
            // Delete a range.
            3 if len > 0 => {
                let at = self.offset(len);
                let n = self.rng.random_range(1..=(len - at).min(16));
                input.drain(at..at + n);
            }
            // Splice: the front of this input, the back of a seed.
            4 => {
                let other = self.corpus[self.rng.random_range(0..self.corpus.len())].clone();
                let cut = self.offset(len + 1);
                let from = self.offset(other.len() + 1);
                input.truncate(cut);
                input.extend_from_slice(&other[from..]);
            }
            // Insert a piece of a seed (a frame, a field) somewhere.
            5 => {
                let other = self.corpus[self.rng.random_range(0..self.corpus.len())].clone();
                let from = self.offset(other.len());
                let to = (from + self.rng.random_range(1..=64)).min(other.len());
                let at = self.offset(len + 1);
                input.splice(at..at, other[from..to].iter().copied());
            }
            // Duplicate a range of this input: floods of one frame.
            6 if len > 0 => {
                let from = self.offset(len);
                let to = (from + self.rng.random_range(1..=64)).min(len);
                let piece = input[from..to].to_vec();
                let copies = self.rng.random_range(1..=8);
                for _ in 0..copies {
                    input.splice(to..to, piece.iter().copied());
                }
            }
            // An interesting integer, fixed width, big- or little-endian, over the bytes.
            7 | 8 if len > 0 => {
                let n = self.interesting();
                let width = [1, 2, 4, 8][self.rng.random_range(0..4)];
                let bytes: Vec<u8> = if self.rng.random_bool(0.7) {
                    n.to_be_bytes()[8 - width..].to_vec()
                } else {
                    n.to_le_bytes()[..width].to_vec()
                };
                let at = self.offset(len);
                let end = (at + width).min(len);
                input.splice(at..end, bytes);
            }
            // An interesting integer as a LEB128 varint, over the varint at a random
            // offset (or inserted there).
            9 => {
                let n = self.interesting();
                let at = self.offset(len + 1);
                let mut end = at;
                while end < len && input[end] & 0x80 != 0 {
                    end += 1;
                }
                let end = (end + 1).min(len);
                input.splice(at..end, varint(n));
            }
            // An interesting integer (or its negation) as decimal digits, over the run
            // of digits nearest a random offset: lengths and counters in text formats.
            10 => {
                let n = self.interesting();
                let text = if self.rng.random_bool(0.2) { format!("-{n}") } else { n.to_string() };
                let start = self.offset(len + 1);
                match input[start..].iter().position(u8::is_ascii_digit) {
                    Some(i) => {
                        let from = start + i;
                        let to = from + input[from..].iter().take_while(|b| b.is_ascii_digit()).count();
                        input.splice(from..to, text.into_bytes());
                    }
                    None => input.splice(start..start, text.into_bytes()).for_each(drop),
                }
            }
            // Truncate.
            11 if len > 0 => {
                let at = self.offset(len);
                input.truncate(at);
            }
            // Random bytes from nowhere (rarely: they mostly test the first check).
            12 if self.rng.random_bool(0.2) => {
                let n = self.rng.random_range(0..256);
                *input = (0..n).map(|_| self.rng.random()).collect();
            }
            // A token of the format, over the bytes or inserted.
            13 => {
                let token = self.tokens[self.rng.random_range(0..self.tokens.len())];
                let at = self.offset(len + 1);
                let end = if self.rng.random_bool(0.5) { (at + token.len()).min(len) } else { at };
                input.splice(at..end, token.iter().copied());
            }
            // A token and then an interesting integer, big-endian in the width the token
            // may announce: a type byte and its length.
            14 => {
                let mut bytes = self.tokens[self.rng.random_range(0..self.tokens.len())].to_vec();
                let width = [1, 2, 4, 8][self.rng.random_range(0..4)];
                bytes.extend_from_slice(&self.interesting().to_be_bytes()[8 - width..]);
                let at = self.offset(len + 1);
                let end = (at + bytes.len()).min(len);
                input.splice(at..end, bytes);
            }
            // A choice that did not apply (an empty input): grow it instead.
            _ => {
                let at = self.offset(len + 1);
                input.insert(at, self.rng.random());
            }
        }
    }
}

/// `n` as an unsigned LEB128 varint (multiformats, protobuf, multistream-select). The
/// fuzzer's own, though the merkle-dag reference has one: the code under test must not
/// write the framing of the inputs that test it.
pub fn varint(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_its_seed() {
        let corpus = vec![b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe".to_vec()];
        let inputs = |seed| {
            let mut m = Mutator::new(rng_for(seed, "bencode"), corpus.clone(), 1024);
            (0..200).map(|_| m.next_input()).collect::<Vec<_>>()
        };
        assert_eq!(inputs(7), inputs(7));
        assert_ne!(inputs(7), inputs(8));
    }

    #[test]
    fn inputs_stay_near_the_corpus_and_under_the_length_bound() {
        let seed = vec![0u8; 40];
        let mut m = Mutator::new(rng_for(1, "t"), vec![seed.clone()], 64);
        let mut changed = 0;
        for _ in 0..2_000 {
            let input = m.next_input();
            assert!(input.len() <= 64);
            changed += usize::from(input != seed);
        }
        assert!(changed > 1_800, "only {changed} of 2,000 inputs differ from the seed");
    }

    #[test]
    fn varints_are_leb128() {
        assert_eq!(varint(0), [0]);
        assert_eq!(varint(300), [0xac, 0x02]);
        assert_eq!(varint(u64::MAX).len(), 10);
    }
}
