//! `run --partition K/N`: shard K of N of the selected scenarios, so that N CI jobs share a
//! suite (as cargo-nextest's `--partition count:K/N`). The selection is put in scenario-name
//! order and dealt round-robin: scenario i (from 0) goes to shard `i mod N + 1`. Every job
//! that selects the same scenarios therefore gets the same split, whatever order the files
//! were found in, and the N shards cover every selected scenario exactly once. `replay
//! --partition K/N` deals a capture's groups the same way, by group name.
//!
//! Counts that are not of scenarios run (how many the filters left out) are dealt too, so
//! that the shards' JSON Lines streams, merged by `gws-conform report`, add up to the counts
//! of one run of the whole selection.

/// One shard of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// Which shard, from 1.
    pub shard: usize,
    /// How many shards.
    pub total: usize,
}

/// `K/N` or `count:K/N`, with 1 ≤ K ≤ N (clap's value parser: an error is a usage error).
pub fn parse_partition(text: &str) -> Result<Partition, String> {
    let form = "the form is K/N or count:K/N with 1 <= K <= N, e.g. 2/4";
    let pair = text.strip_prefix("count:").unwrap_or(text);
    let (shard, total) = pair
        .split_once('/')
        .ok_or_else(|| format!("`{text}` is not a partition: {form}"))?;
    let number = |part: &str| {
        part.trim()
            .parse::<usize>()
            .map_err(|_| format!("`{text}` is not a partition: `{part}` is not a number; {form}"))
    };
    let (shard, total) = (number(shard)?, number(total)?);
    if total == 0 {
        return Err(format!(
            "`{text}`: there must be at least one shard; {form}"
        ));
    }
    if shard == 0 || shard > total {
        return Err(format!(
            "`{text}`: shard {shard} does not exist, shards are numbered 1 to {total}"
        ));
    }
    Ok(Partition { shard, total })
}

impl Partition {
    /// This shard's share of `items`, in name order.
    pub fn take<T>(&self, mut items: Vec<T>, name: impl Fn(&T) -> &str) -> Vec<T> {
        items.sort_by(|a, b| name(a).cmp(name(b)));
        items
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % self.total == self.shard - 1)
            .map(|(_, item)| item)
            .collect()
    }
}

impl Partition {
    /// This shard's share of `count` things dealt round-robin: the shards' shares add up to
    /// `count`.
    pub fn share_of(&self, count: usize) -> usize {
        (count + self.total - self.shard) / self.total
    }
}

impl std::fmt::Display for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.shard, self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_of_a_count_add_up_to_it() {
        for total in 1..6 {
            for count in 0..13 {
                let shares: Vec<usize> = (1..=total)
                    .map(|shard| Partition { shard, total }.share_of(count))
                    .collect();
                assert_eq!(shares.iter().sum::<usize>(), count, "{count} in {total}");
                assert!(shares.iter().max().unwrap() - shares.iter().min().unwrap() <= 1);
            }
        }
    }

    #[test]
    fn both_forms_parse_and_bad_ones_say_why() {
        let two_of_four = Partition { shard: 2, total: 4 };
        assert_eq!(parse_partition("2/4"), Ok(two_of_four));
        assert_eq!(parse_partition("count:2/4"), Ok(two_of_four));
        assert_eq!(parse_partition("1/1"), Ok(Partition { shard: 1, total: 1 }));
        assert_eq!(
            parse_partition("4/4").map(|p| p.to_string()),
            Ok("4/4".to_owned())
        );
        for (bad, why) in [
            ("0/4", "shard 0 does not exist"),
            ("5/4", "shard 5 does not exist, shards are numbered 1 to 4"),
            ("1/0", "at least one shard"),
            ("0/0", "at least one shard"),
            ("2", "not a partition"),
            ("a/4", "`a` is not a number"),
            ("-1/4", "`-1` is not a number"),
            ("hash:1/2", "`hash:1` is not a number"),
            ("", "not a partition"),
        ] {
            let error = parse_partition(bad).unwrap_err();
            assert!(error.contains(why), "{bad}: {error}");
        }
    }

    #[test]
    fn the_shards_cover_every_item_once_whatever_the_order() {
        let items: Vec<String> = (0..11).map(|i| format!("s{i:02}")).collect();
        let mut reversed = items.clone();
        reversed.reverse();
        let mut union = Vec::new();
        for shard in 1..=3 {
            let partition = Partition { shard, total: 3 };
            let share = partition.take(items.clone(), String::as_str);
            assert_eq!(share, partition.take(reversed.clone(), String::as_str));
            assert!((3..=4).contains(&share.len()), "{share:?}");
            union.extend(share);
        }
        union.sort();
        assert_eq!(union, items);
        // More shards than items: some are empty, none repeats one.
        let last = Partition { shard: 5, total: 5 };
        assert!(last.take(vec!["a", "b"], |s| s).is_empty());
    }
}
