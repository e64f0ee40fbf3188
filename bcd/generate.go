package bcd

//go:generate go run ./internal/gen/cmd/genelements -in internal/gen/elements.tsv -out elementtype_gen.go
