//! What a household's stored answer depends on, as hashes: equal fingerprints before the stored
//! check date mean the stored state is still right, so a repeated run costs reads only.

use kosodate_households::Profile;
use kosodate_matcher::Household;
use xxhash_rust::xxh3::Xxh3;

use crate::decide::MatchPolicy;

/// Changes whenever the engine's semantics change, so that every stored state is recomputed.
const ENGINE_REVISION: u32 = 1;

/// A hash of what the household side of the answer depends on: the engine, the policy and the
/// household's data.
pub fn household_hash(policy: MatchPolicy, household: &Household) -> u64 {
    let mut hasher = Xxh3::new();
    hasher.update(&ENGINE_REVISION.to_le_bytes());
    for number in [
        policy.horizon_days,
        policy.opens_soon_days,
        policy.deadline_near_days,
    ] {
        hasher.update(&number.to_le_bytes());
    }
    hasher.update(household.municipality.as_str().as_bytes());
    // The profile as JSON: every fact the matcher reads, in a fixed field order.
    let profile = serde_json::to_vec(&Profile::of(household)).unwrap_or_default();
    hasher.update(&profile);
    hasher.digest()
}

/// A hash of everything a household's answer depends on apart from the date: the household
/// side, and the ids and versions of the programs that apply to it
/// ([`Catalogue::applicable_hash`](crate::Catalogue::applicable_hash)).
pub fn fingerprint(household_hash: u64, applicable_hash: u64) -> i64 {
    let mut hasher = Xxh3::new();
    hasher.update(&household_hash.to_le_bytes());
    hasher.update(&applicable_hash.to_le_bytes());
    i64::from_ne_bytes(hasher.digest().to_ne_bytes())
}
