package peimage_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/peimage"
)

// TestCertificatesPesec lists the certificate table of Debian's signed shim
// binaries and compares each WIN_CERTIFICATE entry with what pesec (pev)
// lists. shimx64.efi.signed has two entries (Microsoft 2011 and 2023 CAs),
// of which saferwall/pe reports only the first.
func TestCertificatesPesec(t *testing.T) {
	pesec := testutil.Tool(t, "pesec")
	for _, tt := range []struct {
		file    string
		entries int
	}{
		{"shimx64.efi.signed", 2},
		{"mmx64.efi.signed", 1},
		{"fbx64.efi.signed", 1},
	} {
		t.Run(tt.file, func(t *testing.T) {
			path := shimFile(t, tt.file)
			img, err := peimage.Open(path, nil)
			require.NoError(t, err)
			require.True(t, img.Signed())
			certs, err := img.Certificates()
			require.NoError(t, err)
			require.Len(t, certs, tt.entries)

			var out struct {
				Certificates []struct {
					Length, Revision, Type string
				} `json:"certificates"`
			}
			require.NoError(t, json.Unmarshal([]byte(testutil.Run(t, pesec, "-f", "json", path)), &out))
			require.Len(t, out.Certificates, len(certs), "pesec")
			h := img.Headers()
			next := h.CertTable.Offset
			for i, c := range certs {
				assert.Equal(t, next, c.Offset, "entries are 8-byte aligned and contiguous")
				next += (int64(c.Length) + 7) &^ 7
				assert.Equal(t, peimage.CertRevision2, c.Revision)
				assert.Equal(t, peimage.CertTypePKCSSignedData, c.Type)
				assert.Equal(t, int(c.Length)-8, len(c.Data))
				assert.Equal(t, byte(0x30), c.Data[0], "DER SEQUENCE")
				p := out.Certificates[i]
				assert.Equal(t, fmt.Sprintf("%d bytes", c.Length), p.Length)
				assert.Equal(t, fmt.Sprintf("%#x (%d)", uint16(c.Revision), uint16(c.Revision)>>8), p.Revision)
				assert.Equal(t, fmt.Sprintf("%#x (PKCS_SIGNED_DATA)", uint16(c.Type)), p.Type)
			}
			assert.Equal(t, h.CertTable.End(), next)
		})
	}
}

// TestStripSignatureShim: Debian signs each shim binary by appending a
// certificate table (with 8-byte alignment padding) to the unsigned file;
// stripping must give the unsigned file back byte for byte.
func TestStripSignatureShim(t *testing.T) {
	for _, name := range []string{"mmx64.efi", "shimx64.efi", "fbx64.efi"} {
		t.Run(name, func(t *testing.T) {
			signed := readShim(t, name+".signed")
			unsigned := readShim(t, name)
			img, err := peimage.Parse(signed, nil)
			require.NoError(t, err)
			certs, err := img.Certificates()
			require.NoError(t, err)
			res, err := img.StripSignature()
			require.NoError(t, err)
			assert.Equal(t, int64(len(unsigned)), res.NewSize)
			assert.Equal(t, int64(len(signed))-int64(len(unsigned))-res.Table.Size, res.Padding)
			assert.Equal(t, len(certs), res.Entries)
			testutil.EqualBytes(t, unsigned, img.Bytes())
			assert.False(t, img.Signed())
			assert.Zero(t, img.Headers().CertTable)
			require.NoError(t, img.VerifyChecksum())
			got, err := img.Certificates()
			require.NoError(t, err)
			assert.Empty(t, got)
			_, err = img.StripSignature()
			require.ErrorIs(t, err, peimage.ErrNotSigned)
			// osslsigncode sees an unsigned file with a valid checksum.
			f := writeTemp(t, name, img.Bytes())
			assert.Equal(t, res.Checksum.New, osslChecksum(t, f))
		})
	}
}

func TestMalformedCertificateTable(t *testing.T) {
	tests := []struct {
		name    string
		cert    []byte
		wantErr error
		entries int
	}{
		{"length too small", messWith(winCert(8, 1), func(b []byte) { binary.LittleEndian.PutUint32(b, 4) }), peimage.ErrFormat, 0},
		{"length past the table", messWith(winCert(8, 1), func(b []byte) { binary.LittleEndian.PutUint32(b, 100) }), peimage.ErrFormat, 0},
		{"second entry truncated", append(winCert(8, 1), 9, 0, 0, 0), peimage.ErrTruncated, 1},
		{"two entries", append(winCert(5, 1), winCert(20, 2)...), nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := peimage.Parse(buildPE(peSpec{cert: tt.cert}), nil)
			require.NoError(t, err, "a damaged table is reported, not fatal")
			certs, err := img.Certificates()
			assert.Len(t, certs, tt.entries)
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Empty(t, img.Warnings)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			var fe *peimage.FormatError
			require.ErrorAs(t, err, &fe)
			assert.NotEmpty(t, img.Warnings)
			// The table can still be stripped.
			_, err = img.StripSignature()
			require.NoError(t, err)
			assert.False(t, img.Signed())
		})
	}
	img, err := peimage.Parse(buildPE(peSpec{cert: append(winCert(8, 1), winCert(8, 2)...)}), &peimage.Options{Limits: peimage.Limits{MaxCertificates: 1}})
	require.NoError(t, err)
	_, err = img.Certificates()
	require.ErrorIs(t, err, peimage.ErrLimit)
}

// TestStripKeepsSectionData: padding is only removed down to the end of the
// section data, even when that data ends in zero bytes.
func TestStripKeepsSectionData(t *testing.T) {
	b := buildPE(peSpec{cert: winCert(16, 3)}) // section data ends in zeros
	img, err := peimage.Parse(b, nil)
	require.NoError(t, err)
	res, err := img.StripSignature()
	require.NoError(t, err)
	assert.Equal(t, int64(0x600), res.NewSize)
	assert.Zero(t, res.Padding)
}
