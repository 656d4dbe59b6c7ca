package steps

import "testing"

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"2.0.10078-1", "2.0.10078-1", 0},
		{"2.0.9258-1", "2.0.10078-1", -1},
		{"2.0.10184-1", "2.0.10078-1", 1},
		{"1.0-1062-1", "1.0-1100-1", -1},
		{"2.3-92-g64a4b6c0-1", "2.3-200-g1c5e9d1f-1", -1},
		{"1.0~rc1-1", "1.0-1", -1},
		{"1:1.0-1", "2.0-1", 1},
		{"1.0-1", "1.0-2", -1},
		{"1.0a-1", "1.0-1", 1},
		{"1.0", "1.0-0", 0},
	}
	for _, tt := range tests {
		if got := compareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := compareVersions(tt.b, tt.a); got != -tt.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}
