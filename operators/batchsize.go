package operators

// BatchSize is the maximum number of rows in a batch emitted by an operator
// that builds new batches (sort, top-n, concatenations). Operators that
// pass input batches through (filter, limit, union) may emit larger ones.
const BatchSize = 8192
