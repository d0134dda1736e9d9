package expr
const sqlUnderProf = "CASE WHEN i > 500 THEN 'hi' ELSE 'lo' END"
