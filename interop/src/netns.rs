//! Two network namespaces joined by a veth pair, for the tests whose multicast must
//! stay off every real network (the mDNS tests): each side has one address in
//! 198.18.0.0/15 (RFC 2544's benchmarking range) and a multicast route on its end of
//! the link, and both namespaces are deleted on drop, whatever the test did.

use std::process::Command;

unsafe extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

/// Why this machine cannot make namespaces, if it cannot: root and `ip` are needed.
pub fn unavailable() -> Option<String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc_geteuid() } != 0 {
        return Some("not root, and `ip netns add` needs root".into());
    }
    if Command::new("ip").arg("-V").output().is_err() {
        return Some("no `ip` command (iproute2)".into());
    }
    None
}

/// Runs `ip ARGS`, failing the test with ip's own words if it fails.
pub fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("run ip");
    assert!(out.status.success(), "ip {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
}

/// Namespaces `a` (device `veth-a`) and `b` (device `veth-b`), joined.
pub struct Link {
    pub a: String,
    pub b: String,
}

impl Link {
    /// Makes the pair, named after `tag` and this process, with `addr_a` and `addr_b`
    /// on a /24 between them.
    pub fn new(tag: &str, addr_a: &str, addr_b: &str) -> Link {
        let id = std::process::id();
        let link = Link { a: format!("hb-{tag}-a-{id}"), b: format!("hb-{tag}-b-{id}") };
        ip(&["netns", "add", &link.a]);
        ip(&["netns", "add", &link.b]);
        ip(&["link", "add", "veth-a", "netns", &link.a, "type", "veth", "peer", "name", "veth-b", "netns", &link.b]);
        for (ns, dev, addr) in [(&link.a, "veth-a", addr_a), (&link.b, "veth-b", addr_b)] {
            ip(&["-n", ns, "addr", "add", &format!("{addr}/24"), "dev", dev]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
            ip(&["-n", ns, "link", "set", dev, "up"]);
            // Multicast leaves by this interface, whatever socket options a library sets.
            ip(&["-n", ns, "route", "add", "224.0.0.0/4", "dev", dev]);
        }
        link
    }
}

impl Drop for Link {
    /// Deleting a namespace also deletes its end of the veth pair and ends the
    /// sockets inside.
    fn drop(&mut self) {
        for ns in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}
