//! The Merkle DAG exercise's checks, in the order to make them pass: the encodings, the
//! CID (against published CIDs), the DAG-CBOR node, building and reading a DAG, then
//! syncing it with a peer.

use proptest::prelude::*;
use rand::RngExt;
use rand::SeedableRng;

use crate::reference;
use crate::subject::{BlockStore, Cid, CidError, DAG_CBOR, DagError, RAW, base32, build, node, read, sync, varint};

/// The unsigned varints of the multiformats spec round-trip, and bad ones are refused
#[test]
fn step_1_varint() {
    // Examples from https://github.com/multiformats/unsigned-varint
    for (value, bytes) in [
        (0u64, &[0x00][..]),
        (1, &[0x01]),
        (127, &[0x7f]),
        (128, &[0x80, 0x01]),
        (255, &[0xff, 0x01]),
        (300, &[0xac, 0x02]),
        (16384, &[0x80, 0x80, 0x01]),
    ] {
        assert_eq!(
            varint::encode(value),
            bytes,
            "encode({value}) is {bytes:02x?}: seven bits a byte, least significant group first, the top bit set on \
             every byte but the last"
        );
        assert_eq!(varint::decode(bytes), Ok((value, bytes.len())), "decode({bytes:02x?})");
    }
    assert_eq!(
        varint::decode(&[0xac, 0x02, 0xff]),
        Ok((300, 2)),
        "decode reads one varint and says how many bytes it took"
    );
    assert!(varint::decode(&[0x80]).is_err(), "a varint cut short: its last byte has the top bit set");
    assert!(varint::decode(&[]).is_err(), "no bytes at all");
    assert!(varint::decode(&[0x81, 0x00]).is_err(), "1 encoded in two bytes is not minimal");
}

/// Base32, lower case and unpadded, matches RFC 4648's test vectors
#[test]
fn step_2_base32() {
    // RFC 4648 §10, lower case, without the padding.
    for (plain, encoded) in [
        ("", ""),
        ("f", "my"),
        ("fo", "mzxq"),
        ("foo", "mzxw6"),
        ("foob", "mzxw6yq"),
        ("fooba", "mzxw6ytb"),
        ("foobar", "mzxw6ytboi"),
    ] {
        assert_eq!(
            base32::encode(plain.as_bytes()),
            encoded,
            "encode({plain:?}): RFC 4648 base32, lower case, no padding, the last character's unused bits zero"
        );
        assert_eq!(base32::decode(encoded).as_deref(), Some(plain.as_bytes()), "decode({encoded:?})");
    }
    assert_eq!(base32::decode("MZXW6"), None, "upper case is not this alphabet");
    assert_eq!(base32::decode("mzx1"), None, "1 is not in the alphabet");
    assert_eq!(base32::decode("m"), None, "one character cannot encode a byte");
    assert_eq!(base32::decode("a"), None, "one character cannot encode a byte, not even one whose five bits are zero");
    assert_eq!(
        base32::decode("mz"),
        None,
        "\"mz\" is the byte 66 (f) and two bits 01 left over: the leftover bits must be zero (\"my\" is f), so \
         that each byte string has exactly one text form and one CID"
    );
}

/// CIDs of raw bytes equal the ones IPFS publishes, byte for byte
#[test]
fn step_3_cid() {
    // From the multiformats rust-cid README and tests: https://github.com/multiformats/rust-cid
    let foo = Cid::of(RAW, b"foo");
    assert_eq!(
        foo.to_string(),
        "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy",
        "the CID of `foo` is b (base32) then base32 of 01 55 12 20 ‖ SHA-256(foo); your binary CID is {}",
        hex::encode(foo.to_bytes())
    );
    assert_eq!(Cid::of(RAW, b"beep boop").to_string(), "bafkreieq5jui4j25lacwomsqgjeswwl3y5zcdrresptwgmfylxo2depppq");
    // The raw CIDv1 of `hello world` and of no bytes at all, as the multiformats crates
    // `cid` 0.11 and `multihash` 0.19 compute them (interop/tests/cid.rs checks both).
    assert_eq!(
        Cid::of(RAW, b"hello world").to_string(),
        "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e",
        "the CID of `hello world`"
    );
    assert_eq!(
        Cid::of(RAW, b"").to_string(),
        "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
        "the CID of the empty input"
    );
    let bytes = foo.to_bytes();
    assert_eq!(bytes[..4], [0x01, 0x55, 0x12, 0x20], "version 1, raw, sha2-256, 32 bytes");
    assert_eq!(bytes.len(), 36);
    assert_eq!(
        hex::encode(foo.digest()),
        hex::encode(&bytes[4..]),
        "digest(): the SHA-256 of `foo`, the 32 bytes after 01 55 12 20 in the CID"
    );
    assert!(
        format!("{foo:?}").contains(&foo.to_string()),
        "a CID's Debug form ({foo:?}) must show its text form, bafkrei…, so that a panic message or a log names the \
         block"
    );
    assert_eq!(Cid::from_bytes(&bytes), Ok(foo));
    assert!(foo.matches(b"foo") && !foo.matches(b"fo0"), "matches() checks the digest");
    assert_eq!(Cid::of(DAG_CBOR, b"foo").codec(), DAG_CBOR);
    assert_ne!(Cid::of(DAG_CBOR, b"foo"), foo, "the same bytes under another codec are another CID");
}

/// CIDs parse back from text, and each kind of malformed CID gets its error
#[test]
fn step_4_parse_cid() {
    let text = "bafkreieq5jui4j25lacwomsqgjeswwl3y5zcdrresptwgmfylxo2depppq";
    let cid: Cid = text.parse().expect("a published CID parses");
    assert_eq!((cid.to_string().as_str(), cid.codec()), (text, RAW));
    assert_eq!(
        "zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA".parse::<Cid>(),
        Err(CidError::Multibase('z')),
        "base58 (z) is not supported"
    );
    assert_eq!("bafkrei!!".parse::<Cid>(), Err(CidError::Base32));
    let with = |bytes: &[u8]| format!("b{}", base32::encode(bytes)).parse::<Cid>();
    let mut v0 = cid.to_bytes();
    v0[0] = 0x00;
    assert_eq!(with(&v0), Err(CidError::Version(0)));
    let mut dag_pb = cid.to_bytes();
    dag_pb[1] = 0x70;
    assert_eq!(with(&dag_pb), Err(CidError::Codec(0x70)), "dag-pb (0x70) is not supported here");
    let mut sha512 = cid.to_bytes();
    sha512[2] = 0x13;
    assert_eq!(with(&sha512), Err(CidError::Hash { code: 0x13, len: 32 }));
    assert_eq!(with(&cid.to_bytes()[..35]), Err(CidError::Length), "a digest cut short");
    assert_eq!(with(&[cid.to_bytes(), vec![0]].concat()), Err(CidError::Length), "a byte left over");
}

/// Interior nodes are canonical DAG-CBOR, byte-equal to the reference's
#[test]
fn step_5_dag_cbor_node() {
    let (a, b) = (Cid::of(RAW, b"foo"), Cid::of(RAW, b"beep boop"));
    let bytes = node::encode(&[a], 3);
    // a2, "Size" → 3, "Links" → [tag 42, bytes(00 ‖ cid)]
    let mut expected = vec![
        0xa2, 0x64, b'S', b'i', b'z', b'e', 0x03, 0x65, b'L', b'i', b'n', b'k', b's', 0x81, 0xd8, 0x2a, 0x58, 0x25,
        0x00,
    ];
    expected.extend(a.to_bytes());
    assert_eq!(
        hex::encode(&bytes),
        hex::encode(&expected),
        "canonical DAG-CBOR: a map with Size before Links (shorter key first), every integer and length in its \
         shortest form, each link as tag 42 over the bytes 00 ‖ CID"
    );
    assert_eq!(node::decode(&bytes), Ok((vec![a], 3)));
    let big = node::encode(&[a, b], 262_144);
    let theirs = reference::node::encode(&[a.to_string().parse().unwrap(), b.to_string().parse().unwrap()], 262_144);
    assert_eq!(
        hex::encode(&big),
        hex::encode(&theirs),
        "a two-link node with a 4-byte size differs from the reference's"
    );
    // A size over 4 GiB takes CBOR's 8-byte form: 1b and the size big-endian.
    let huge = node::encode(&[a], 1 << 32);
    let theirs = reference::node::encode(&[a.to_string().parse().unwrap()], 1 << 32);
    assert_eq!(
        hex::encode(&huge),
        hex::encode(&theirs),
        "a size of 2^32 (4 GiB) is 1b 00 00 00 01 00 00 00 00: major type 0 with additional information 27, then \
         eight bytes (RFC 8949 §3.1)"
    );
    assert_eq!(node::decode(&theirs), Ok((vec![a], 1 << 32)), "reading a node with an 8-byte size");
    assert!(node::decode(&big[..big.len() - 1]).is_err(), "a node cut short");
    let mut long_size = bytes.clone();
    long_size.splice(6..7, [0x18, 0x03]);
    assert!(node::decode(&long_size).is_err(), "3 written in two bytes is not canonical DAG-CBOR");
    // Hostile lengths from a peer: each must be an error, never a panic, an overflow or a
    // huge allocation. The first is a map whose key claims 2^64 − 1 bytes of text.
    for (hex, what) in [
        ("a27bffffffffffffffff", "a text key of 2^64 − 1 bytes"),
        ("a2645369 7a6503654c696e6b739bffffffffffffffff", "an array of 2^64 − 1 links"),
        ("a2645369 7a6503654c696e6b7381d82a5bffffffffffffffff", "a link of 2^64 − 1 bytes"),
        ("a2645369 7a6503654c696e6b7381d82a5b7fffffffffffffff", "a link of 2^63 − 1 bytes"),
        ("a2645369 7a651bffffffffffffffff", "a size of 2^64 − 1, then nothing"),
        ("a27f", "an indefinite-length key"),
        ("a264", "a key cut short"),
    ] {
        let bytes = hex::decode(hex.replace(' ', "")).unwrap();
        let result = std::panic::catch_unwind(|| node::decode(&bytes));
        assert!(matches!(result, Ok(Err(_))), "decode must refuse {what} ({hex}) with an error, not {result:?}");
    }
    // Every prefix of a valid node, and every one-byte change to it, decodes without a
    // panic, and whatever still decodes is the canonical encoding of what it decodes to.
    for cut in 0..big.len() {
        let result = std::panic::catch_unwind(|| node::decode(&big[..cut]));
        assert!(
            matches!(result, Ok(Err(_))),
            "decode of the first {cut} bytes of a node must be an error, not {result:?}"
        );
    }
    for at in 0..big.len() {
        for value in [0x00, 0x17, 0x18, 0x1b, 0x1f, 0x3b, 0x5b, 0x7b, 0x9b, 0xdb, 0xff] {
            let mut changed = big.clone();
            changed[at] = value;
            let result = std::panic::catch_unwind(|| node::decode(&changed));
            match result {
                Ok(Ok((links, size))) => {
                    assert_eq!(
                        reference::node::encode(
                            &links.iter().map(|c| c.to_string().parse().unwrap()).collect::<Vec<_>>(),
                            size
                        ),
                        changed,
                        "byte {at} set to {value:02x} decodes, but not from its canonical encoding"
                    )
                }
                Ok(Err(_)) => {}
                Err(_) => panic!("decode panicked with byte {at} of a valid node set to {value:02x}"),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// Chunked into a balanced DAG and read back, any file is unchanged, under the reference's root CID
    #[test]
    fn step_6_build_and_read(data in proptest::collection::vec(any::<u8>(), 0..3000), chunk in 1usize..200, links in 2usize..6) {
        let mut store = BlockStore::new();
        let root = build(&data, chunk, links, &mut store);
        prop_assert_eq!(
            read(&root, &store),
            Ok(data.clone()),
            "reading back the file you built ({} bytes, chunks of {}, at most {} links a node)",
            data.len(),
            chunk,
            links
        );
        let mut theirs = reference::BlockStore::new();
        let their_root = reference::build(&data, chunk, links, &mut theirs);
        prop_assert_eq!(root.to_string(), their_root.to_string(), "your root CID differs from the reference's");
        prop_assert_eq!(store.len(), theirs.len(), "a different number of blocks");
    }
}

/// Three blocks that lie about their size: a 10,000-byte leaf, a node that links to it
/// 100 times and a root that links to that node 100 times, both claiming 1 byte below
/// them. Read naively, that is 100,000,000 bytes. Returned as the root and the blocks.
fn lying_dag() -> (Cid, Vec<(Cid, Vec<u8>)>) {
    let leaf_bytes = vec![0x4c; 10_000];
    let leaf = reference::Cid::of(reference::RAW, &leaf_bytes);
    let middle_bytes = reference::node::encode(&[leaf; 100], 1);
    let middle = reference::Cid::of(reference::DAG_CBOR, &middle_bytes);
    let root_bytes = reference::node::encode(&[middle; 100], 1);
    let root = reference::Cid::of(reference::DAG_CBOR, &root_bytes);
    let ours = |cid: reference::Cid| -> Cid { cid.to_string().parse().unwrap() };
    (ours(root), vec![(ours(leaf), leaf_bytes), (ours(middle), middle_bytes), (ours(root), root_bytes)])
}

/// Reading checks every block: a tampered or missing block, or a node whose size is not its children's, is an error
///
/// Reading checks every block against its CID (a tampered or missing block is an error,
/// never wrong data) and every node's size against the sum of its children's, so a DAG
/// that repeats one child while claiming a size of 1 is refused, not expanded
#[test]
fn step_7_verify() {
    let data: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let mut store = BlockStore::new();
    let root = build(&data, 100, 4, &mut store);
    assert_eq!(store.len(), 10 + 3 + 1, "10 leaves, 3 nodes above them, 1 root");
    assert_eq!(root.codec(), DAG_CBOR);
    let leaf = Cid::of(RAW, &data[300..400]);
    assert!(store.has(&leaf), "the fourth chunk is stored under its own CID");
    let mut tampered = store.clone();
    tampered.tamper(&leaf, b"not the fourth chunk".to_vec());
    assert!(
        matches!(read(&root, &tampered), Err(DagError::Corrupt { cid, .. }) if cid == leaf),
        "a block whose bytes do not match its CID"
    );
    assert!(
        BlockStore::new().is_empty() && !store.is_empty(),
        "is_empty: true for a new store, false once build put blocks in it"
    );
    let mut missing = BlockStore::new();
    missing.insert_verified(root, store.get(&root).unwrap().to_vec()).unwrap();
    assert!(matches!(read(&root, &missing), Err(DagError::Missing(_))));
    assert!(
        missing.insert_verified(leaf, b"wrong".to_vec()).is_err(),
        "insert_verified refuses bytes that do not match"
    );
    assert_eq!(
        read(&Cid::of(RAW, b""), &{
            let mut s = BlockStore::new();
            build(b"", 10, 2, &mut s);
            s
        }),
        Ok(Vec::new()),
        "the empty file is one empty leaf"
    );

    // Sharing is fine when the sizes add up: a node that links to one 10-byte leaf three
    // times holds 30 bytes, and a root that links to that node twice, 60.
    let ten = b"0123456789".to_vec();
    let leaf = reference::Cid::of(reference::RAW, &ten);
    let node_bytes = reference::node::encode(&[leaf; 3], 30);
    let middle = reference::Cid::of(reference::DAG_CBOR, &node_bytes);
    let root_bytes = reference::node::encode(&[middle; 2], 60);
    let mut shared = BlockStore::new();
    for (codec, bytes) in [(RAW, ten.clone()), (DAG_CBOR, node_bytes), (DAG_CBOR, root_bytes.clone())] {
        shared.put(codec, bytes);
    }
    let shared_root = Cid::of(DAG_CBOR, &root_bytes);
    assert_eq!(read(&shared_root, &shared), Ok(ten.repeat(6)), "a DAG that links to one child more than once");

    // Honest but too large: a 1 MiB leaf linked 1,025 times is 1,025 MiB, over MAX_READ
    // (1 GiB). It is refused from its sizes alone, before any output is allocated.
    let mib = vec![0x4d; 1 << 20];
    let big_leaf = reference::Cid::of(reference::RAW, &mib);
    let big_root_bytes = reference::node::encode(&[big_leaf; 1025], 1025 << 20);
    let mut big = BlockStore::new();
    big.put(RAW, mib);
    let big_root = big.put(DAG_CBOR, big_root_bytes);
    match read(&big_root, &big) {
        Err(DagError::TooLarge { cid, size }) => {
            assert_eq!((cid, size), (big_root, 1025 << 20), "TooLarge names the root and the size it checked")
        }
        Ok(bytes) => panic!(
            "read returned {} bytes for a file of 1,025 MiB: a file over MAX_READ (1 GiB) is DagError::TooLarge, \
             decided from the checked sizes before any output is allocated",
            bytes.len()
        ),
        Err(other) => panic!("a file of 1,025 MiB, over MAX_READ (1 GiB), is DagError::TooLarge, got {other:?}"),
    }

    // The same shape, lying: sizes of 1 over a million bytes.
    let (liar_root, blocks) = lying_dag();
    let mut liar = BlockStore::new();
    for (cid, bytes) in blocks {
        liar.insert_verified(cid, bytes).unwrap();
    }
    let started = std::time::Instant::now();
    let result = read(&liar_root, &liar);
    let took = started.elapsed();
    println!(
        "read of three blocks claiming 1 byte over 1,000,000: {} in {took:?}",
        match &result {
            Ok(bytes) => format!("{} bytes", bytes.len()),
            Err(e) => format!("refused ({e})"),
        }
    );
    match result {
        Err(DagError::Corrupt { .. }) => {}
        Ok(bytes) => panic!(
            "read returned {} bytes for a root that claims 1 byte: each node's size must equal the sum of its \
             children's sizes (a raw leaf's size is its length), or the node is DagError::Corrupt; check sizes \
             before writing any output, visiting each distinct block once",
            bytes.len()
        ),
        Err(other) => panic!("a node whose size disagrees with its links is DagError::Corrupt, got {other:?}"),
    }
}

/// The network, as the sync sees it: ask the peer (here, the reference's store) for a
/// block by CID; blocks travel as bytes and CIDs as text.
fn fetch_from(store: &reference::BlockStore) -> impl FnMut(&Cid) -> Option<Vec<u8>> + '_ {
    move |cid: &Cid| store.get(&cid.to_string().parse().unwrap()).map(<[u8]>::to_vec)
}

/// The bytes of every distinct block of the DAG below `root` in the reference's store.
fn dag_bytes(store: &reference::BlockStore, root: &reference::Cid) -> usize {
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![*root];
    let mut total = 0;
    while let Some(cid) = stack.pop() {
        if !seen.insert(cid) {
            continue;
        }
        let bytes = store.get(&cid).expect("the reference holds its own DAG");
        total += bytes.len();
        if cid.codec() == reference::DAG_CBOR {
            stack.extend(reference::node::decode(bytes).expect("the reference's node").0);
        }
    }
    total
}

/// Sync fetches only what is missing: a 1% change costs one leaf and its path to the root
#[test]
fn step_8_sync() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(8);
    let mut data = vec![0u8; 100 * 1024];
    rng.fill(&mut data[..]);
    // The peer: the reference's store. Over the "network", blocks travel as bytes.
    let mut theirs = reference::BlockStore::new();
    let their_root = reference::build(&data, 1024, 8, &mut theirs);
    let root: Cid = their_root.to_string().parse().unwrap();
    let mut mine = BlockStore::new();
    let first = sync(&root, fetch_from(&theirs), &mut mine).expect("sync from the reference");
    assert_eq!(first.blocks, theirs.len(), "the first sync fetches every block");
    assert_eq!(
        first.bytes,
        dag_bytes(&theirs, &their_root),
        "SyncStats.bytes: the bytes of every block fetched, leaves and nodes, {} blocks",
        first.blocks
    );
    assert_eq!(read(&root, &mine), Ok(data.clone()));
    assert_eq!(
        sync(&root, fetch_from(&theirs), &mut mine).unwrap().blocks,
        0,
        "syncing again fetches nothing: a block already held is skipped with everything below it"
    );

    // Change 1% of the file, in one chunk: 100 leaves, fan-out 8 (levels of 13, 2, 1).
    for byte in &mut data[50 * 1024..50 * 1024 + 1024] {
        *byte ^= 0xff;
    }
    let new_root: Cid = reference::build(&data, 1024, 8, &mut theirs).to_string().parse().unwrap();
    let second = sync(&new_root, fetch_from(&theirs), &mut mine).expect("sync the change");
    assert_eq!(second.blocks, 4, "one leaf, one node above it, one above that, and the root");
    assert!(second.bytes < 1024 + 3 * 400, "{} bytes for a 1 KiB change", second.bytes);
    assert_eq!(read(&new_root, &mine), Ok(data.clone()));

    // A peer that lies: wrong bytes for one block. Nothing of the new DAG is stored.
    let mut other = data.clone();
    other[0] ^= 1;
    let liar_root: Cid = reference::build(&other, 1024, 8, &mut theirs).to_string().parse().unwrap();
    let before = mine.len();
    let lying = |cid: &Cid| {
        let real = theirs.get(&cid.to_string().parse().unwrap()).map(<[u8]>::to_vec);
        if cid.codec() == RAW { Some(b"forged".to_vec()) } else { real }
    };
    assert!(
        matches!(sync(&liar_root, lying, &mut mine), Err(DagError::Corrupt { .. })),
        "a block that does not match its CID fails the sync"
    );
    assert_eq!(mine.len(), before, "a failed sync stores nothing");

    // A peer that lies about sizes: every block matches its CID, but the nodes claim 1
    // byte over a million. The sync fails and stores nothing, so no store holds a DAG
    // that lies about its size.
    let (liar_root, blocks) = lying_dag();
    let mut asked = 0;
    let result = sync(
        &liar_root,
        |cid: &Cid| {
            asked += 1;
            blocks.iter().find(|(c, _)| c == cid).map(|(_, b)| b.clone())
        },
        &mut mine,
    );
    assert!(
        matches!(result, Err(DagError::Corrupt { .. })),
        "a DAG whose nodes claim 1 byte while linking to 1,000,000 must fail the sync with DagError::Corrupt \
         (check each node's size against its children's before storing anything), got {result:?}"
    );
    assert!(asked <= 3, "{asked} fetches for a DAG of three distinct blocks: fetch each block once");
    assert_eq!(mine.len(), before, "a failed sync stores nothing");

    // A root that claims 1 byte over 100 distinct leaves of 1,000 bytes: the first leaf
    // already holds more than the root claims, so the sync stops there instead of
    // fetching the other 99 (a lying peer must not cost the whole DAG it describes).
    let leaves: Vec<(reference::Cid, Vec<u8>)> = (0..100u8)
        .map(|i| {
            let bytes = vec![i; 1000];
            (reference::Cid::of(reference::RAW, &bytes), bytes)
        })
        .collect();
    let root_bytes = reference::node::encode(&leaves.iter().map(|(cid, _)| *cid).collect::<Vec<_>>(), 1);
    let wide_root = reference::Cid::of(reference::DAG_CBOR, &root_bytes);
    let mut asked = 0;
    let result = sync(
        &wide_root.to_string().parse().unwrap(),
        |cid: &Cid| {
            asked += 1;
            let cid: reference::Cid = cid.to_string().parse().unwrap();
            if cid == wide_root {
                return Some(root_bytes.clone());
            }
            leaves.iter().find(|(c, _)| *c == cid).map(|(_, b)| b.clone())
        },
        &mut mine,
    );
    assert!(matches!(result, Err(DagError::Corrupt { .. })), "a root claiming 1 byte over 100,000: got {result:?}");
    assert!(
        asked <= 2,
        "{asked} fetches for a root that claims 1 byte over 100 leaves of 1,000 bytes: the leaf bytes fetched may \
         never exceed the size the root claims, so the first leaf (1,000 bytes over a claim of 1) ends the sync \
         with DagError::Corrupt; keep a running total of leaf bytes and compare it with the root's size after \
         each leaf, not only once everything has arrived"
    );
    assert_eq!(mine.len(), before, "a failed sync stores nothing");

    // And the reverse: the reference syncs a DAG you built.
    let mut my_store = BlockStore::new();
    let my_root = build(b"built by the learner, read by the reference", 8, 3, &mut my_store);
    let mut their_copy = reference::BlockStore::new();
    reference::sync(
        &my_root.to_string().parse().unwrap(),
        |c: &reference::Cid| my_store.get(&c.to_string().parse().unwrap()).map(<[u8]>::to_vec),
        &mut their_copy,
    )
    .expect("the reference syncs your DAG");
}
