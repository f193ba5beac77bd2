package spec

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

func TestYAMLNumber(t *testing.T) {
	type result struct {
		Num       json.Number
		Whole, OK bool
	}
	tests := []struct {
		yaml string
		want result
	}{
		{"1", result{"1", true, true}},
		{"-17", result{"-17", true, true}},
		{"0x1F", result{"31", true, true}},
		{"0o17", result{"15", true, true}},
		{"0777", result{"511", true, true}}, // yaml.v3 keeps YAML 1.1 octals
		{"0b101", result{"5", true, true}},
		{"-0b101", result{"-5", true, true}},
		{"1_000", result{"1000", true, true}},
		{"18446744073709551615", result{"18446744073709551615", true, true}},
		{"99999999999999999999999", result{"99999999999999999999999", true, true}},
		{"0x1_0000_0000_0000_0000", result{"18446744073709551616", true, true}},
		{"1.0", result{"1", true, true}},
		{"1e3", result{"1000", true, true}},
		{"1.5", result{"15e-1", false, true}},
		{"12e-1", result{"12e-1", false, true}},
		{"1e309", result{json.Number("1" + strings.Repeat("0", 309)), true, true}},
		{"-1e399", result{json.Number("-1" + strings.Repeat("0", 399)), true, true}},
		{"-1e400", result{"-1e400", true, true}},
		{"1e401", result{"1e400", true, true}},
		{"1e999999999999999999999", result{"1e400", true, true}},
		{"-1e999999999999999999999", result{"-1e400", true, true}},
		{"1e-400", result{"1e-400", false, true}},
		{"1e-401", result{"1e-401", false, true}},
		{"1e-402", result{"1e-400", false, true}},
		{"1e-999999999999999999999", result{"1e-400", false, true}},
		{"0e999999999", result{"0", true, true}},
		{"0.5e1", result{"5", true, true}},
		{"." + strings.Repeat("3", 100), result{json.Number(strings.Repeat("3", 40) + "1e-41"), false, true}},
		{".inf", result{"", false, false}},
		{".nan", result{"", false, false}},
		{`"1"`, result{"", false, false}},
		{`'1e309'`, result{"", false, false}},
		{"!!str 1e309", result{"", false, false}},
		{"1e309x", result{"", false, false}},
		{"abc", result{"", false, false}},
		{"true", result{"", false, false}},
		{"0x" + strings.Repeat("f", 2000), result{"1e400", true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.yaml, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte("v: "+tt.yaml+"\n"), &doc); err != nil {
				t.Fatal(err)
			}
			num, whole, ok := yamlNumber(doc.Content[0].Content[1])
			if diff := cmp.Diff(tt.want, result{num, whole, ok}); diff != "" {
				t.Errorf("yamlNumber(%s) (-want +got):\n%s", tt.yaml, diff)
			}
		})
	}
}

// A whole number the schema accepts is the number the spec uses: `1.0` and
// `1e3` are integers to JSON Schema, so they are to the builder too.
func TestWholeFloatsAreIntegers(t *testing.T) {
	body := "version: 1\nusers:\n  a: {id: 1.0}\n  b: {id: 1e3}\nsettings: {max_deletes: 2.5e1}\n"
	d, diags := loadSources(DefaultOptions(), []source{{name: "x.yaml", rel: "x.yaml", data: []byte(body)}})
	if d == nil || diags.HasErrors() {
		t.Fatalf("load failed:\n%s", messages(diags))
	}
	got := []int64{d.Users["a"].ID, d.Users["b"].ID, int64(*d.Settings.MaxDeletes)}
	if diff := cmp.Diff([]int64{1, 1000, 25}, got); diff != "" {
		t.Errorf("ids and max_deletes (-want +got):\n%s", diff)
	}
}
