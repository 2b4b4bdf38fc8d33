package registers

import (
	"context"
	"io"
)

// OpenNewest opens the newest version of a snapshot-style folder that this
// package does not load itself (postcodes/): the files of that version
// concatenated, gunzipped and without BOMs, and the version date. It
// returns a nil reader and "" when the folder is missing or empty.
func OpenNewest(ctx context.Context, src Source, folder string) (io.ReadCloser, string, error) {
	files, err := listFiles(ctx, src, folder)
	if err != nil {
		return nil, "", err
	}
	files = newest(files)
	if len(files) == 0 {
		return nil, "", nil
	}
	var readers []io.Reader
	var closers multiCloser
	for i, f := range files {
		c, br, err := openText(ctx, src, f.Key)
		if err != nil {
			closers.Close()
			return nil, "", err
		}
		closers = append(closers, c)
		if i > 0 {
			readers = append(readers, newlineReader{}) // a file may not end in a newline
		}
		readers = append(readers, br)
	}
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(readers...), closers}, files[0].Version.String(), nil
}

type newlineReader struct{}

func (newlineReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = '\n'
	return 1, io.EOF
}
