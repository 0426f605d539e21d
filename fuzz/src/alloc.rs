//! A counting global allocator: how much memory one input makes a decoder take.
//!
//! A decoder that reserves what a length field *claims* instead of what the input
//! *holds* is a denial of service even when it never panics: 10 bytes announcing 4 GiB
//! make the process ask for 4 GiB. So for every input the fuzzer records the largest
//! single request (an allocation, or the new size of a reallocation) and the peak of
//! bytes live above what was live when the input started. Both are plain atomics: the
//! fuzzer runs one input at a time, and every target's runtime is single-threaded, so
//! the figures belong to the input that is running.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// The system allocator, counted.
pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static LARGEST: AtomicUsize = AtomicUsize::new(0);

fn grew(size: usize, live: usize) {
    LARGEST.fetch_max(size, Relaxed);
    PEAK.fetch_max(live, Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size(), LIVE.fetch_add(layout.size(), Relaxed) + layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size(), LIVE.fetch_add(layout.size(), Relaxed) + layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            if new_size >= layout.size() {
                let more = new_size - layout.size();
                grew(new_size, LIVE.fetch_add(more, Relaxed) + more);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Relaxed);
            }
        }
        new
    }
}

/// What one input cost, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// The largest single allocation (or reallocation's new size).
    pub largest: usize,
    /// The most bytes live at once above what was live before the input.
    pub peak: usize,
    /// Bytes still live after the input that were not before it: what a target keeps
    /// across inputs (a runtime's caches) or leaks.
    pub retained: isize,
}

/// A measurement in progress; [`Meter::stop`] reads it.
pub struct Meter {
    baseline: usize,
}

impl Meter {
    /// Starts measuring: the counters now describe only what happens from here on.
    pub fn start() -> Meter {
        let baseline = LIVE.load(Relaxed);
        PEAK.store(baseline, Relaxed);
        LARGEST.store(0, Relaxed);
        Meter { baseline }
    }

    /// What happened since [`Meter::start`].
    pub fn stop(self) -> Usage {
        let live = LIVE.load(Relaxed);
        Usage {
            largest: LARGEST.load(Relaxed),
            peak: PEAK.load(Relaxed).saturating_sub(self.baseline),
            retained: live as isize - self.baseline as isize,
        }
    }
}

/// Bytes for a person: `512 B`, `3.5 KiB`, `16.0 MiB`.
pub fn human(bytes: usize) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}
