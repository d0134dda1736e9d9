package expr
const sqlUnderProf = "s LIKE '%sql%'"
