//! The seed a simulated check runs under, so the runner can sweep and replay.
//!
//! A simulation is its seed: the same seed gives the same run, message for message.
//! A check names its own default seed, which is what a plain `cargo verify check`
//! runs, so results stay comparable from one learner to the next. But a bug that
//! needs an unlucky ordering passes one seed and fails another, so the runner can ask
//! for others: `cargo verify check NAME --seeds 20` runs every seeded step under 20
//! seeds, and `--seed S` replays exactly one of them. It passes the seed in the
//! environment (`VERIFY_SEED`); [`seed`] reads it.

/// The environment variable the runner sets to choose the run, and the start of the
/// line a seeded check prints (declared once, in `verify-protocol`, for both sides).
pub use verify_protocol::{SEED_VAR, SEEDED_PREFIX};

/// The seed for one simulation of a check: `default` in an ordinary run, and under
/// `VERIFY_SEED=S` a seed derived from both, so the several simulations of one step
/// still differ from each other while `S` replays all of them exactly.
pub fn seed(default: u64) -> u64 {
    let chosen = std::env::var(SEED_VAR).ok().and_then(|s| s.trim().parse::<u64>().ok());
    match chosen {
        None => {
            println!("{SEEDED_PREFIX}default");
            default
        }
        Some(run) => {
            println!("{SEEDED_PREFIX}{run}");
            mix(run, default)
        }
    }
}

/// SplitMix64's finaliser over the run and the call site's default: cheap, and
/// every input bit moves every output bit.
fn mix(run: u64, default: u64) -> u64 {
    let mut z = run.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ default.rotate_left(29);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::mix;

    #[test]
    fn runs_and_call_sites_give_different_seeds() {
        assert_ne!(mix(1, 2), mix(1, 3));
        assert_ne!(mix(1, 2), mix(2, 2));
        assert_eq!(mix(7, 4), mix(7, 4));
    }
}
