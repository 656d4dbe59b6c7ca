package render

import (
	"encoding/json"
	"io"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// JSON writes one JSON object per event and line.
type JSON struct {
	W io.Writer
}

// Event implements installer.Sink.
func (j JSON) Event(e installer.Event) {
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	_, _ = j.W.Write(append(b, '\n'))
}
