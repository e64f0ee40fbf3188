package hive

// WalkAll is walkAll for the black-box tests.
var WalkAll = walkAll
