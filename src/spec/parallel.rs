//! Spreading the work of loading over the cores while keeping the order of its results.

use super::error::SpecError;

/// Applies `work` to every item, the items spread over the cores; what it yields and the
/// errors it reports keep the items' order.
pub(super) fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    work: impl Fn(&T, &mut Vec<SpecError>) -> Vec<R> + Sync,
) -> (Vec<R>, Vec<SpecError>) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads).max(1);
    let run_chunk = |chunk: &[T]| {
        let mut errors = Vec::new();
        let yielded: Vec<R> = chunk
            .iter()
            .flat_map(|item| work(item, &mut errors))
            .collect();
        (yielded, errors)
    };
    let results: Vec<(Vec<R>, Vec<SpecError>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|chunk| scope.spawn(|| run_chunk(chunk)))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("loading specs does not panic"))
            .collect()
    });
    let mut yielded = Vec::new();
    let mut errors = Vec::new();
    for (chunk_yield, chunk_errors) in results {
        yielded.extend(chunk_yield);
        errors.extend(chunk_errors);
    }
    (yielded, errors)
}
