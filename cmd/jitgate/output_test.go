package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPrintTableEscapesControlCharacters(t *testing.T) {
	var out bytes.Buffer
	rows := [][]string{{"req_1", "fix\r\x1b[32Cecho 10m0s\x1b[K", "two\tlines\n"}}
	require.NoError(t, printTable(&out, []string{"ID", "REASON", "NOTE"}, rows))

	assert.NotContains(t, out.String(), "\x1b")
	assert.NotContains(t, out.String(), "\r")
	assert.Contains(t, out.String(), `fix\r\x1b[32Cecho 10m0s\x1b[K`)
	assert.Contains(t, out.String(), `two\tlines\n`)
}

func TestLocalName(t *testing.T) {
	cases := []struct {
		id string
		ok bool
	}{
		{"gr_abc123", true},
		{"", false},
		{"../../escaped", false},
		{"a/b", false},
		{"/abs", false},
		{"..", false},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			err := localName("grant", tc.id)
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}
