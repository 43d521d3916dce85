package predict

import (
	"math"
	"testing"
)

func TestRegionDistanceKm(t *testing.T) {
	tests := []struct {
		a, b     string
		min, max float64
	}{
		{"us-east-1", "us-east-1", 0, 0},
		{"us-east-1", "us-east4", 0, 0},   // both Ashburn
		{"us-east-1", "eastus", 100, 400}, // Virginia, AWS and Azure
		{"us-east-1", "eu-west-1", 5000, 5600},
		{"eu-west-1", "northeurope", 0, 0}, // both Dublin
		{"westeurope", "europe-west4", 100, 250},
		{"europe-west1", "eu-central-1", 300, 450},
		{"us-central1", "centralus", 150, 250},
		{"ap-northeast-1", "asia-northeast1", 0, 10},
		{"us-west-2", "ap-southeast-2", 12000, 12700},
		{"sa-east-1", "af-south-1", 6000, 6600},
		{"US-EAST-1", " EastUS ", 100, 400}, // case and spaces ignored
	}
	for _, tc := range tests {
		t.Run(tc.a+"/"+tc.b, func(t *testing.T) {
			km, ok := RegionDistanceKm(tc.a, tc.b)
			if !ok {
				t.Fatalf("RegionDistanceKm(%q, %q) not ok", tc.a, tc.b)
			}
			if km < tc.min || km > tc.max {
				t.Errorf("RegionDistanceKm(%q, %q) = %.0f km, want %.0f-%.0f", tc.a, tc.b, km, tc.min, tc.max)
			}
			back, _ := RegionDistanceKm(tc.b, tc.a)
			if math.Abs(back-km) > 1e-9 {
				t.Errorf("not symmetric: %.6f one way, %.6f the other", km, back)
			}
		})
	}
	for _, tc := range []struct{ a, b string }{
		{"us-east-1", "mars-north-1"}, {"atlantis", "eastus"}, {"", "eastus"}, {"", ""},
	} {
		if km, ok := RegionDistanceKm(tc.a, tc.b); ok || km != 0 {
			t.Errorf("RegionDistanceKm(%q, %q) = %v, %v; want 0, false", tc.a, tc.b, km, ok)
		}
	}
}

func TestRegionTableCoverage(t *testing.T) {
	clouds := map[string][]string{
		"aws": {"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1", "mx-central-1",
			"sa-east-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1",
			"eu-south-1", "eu-south-2", "il-central-1", "me-south-1", "me-central-1", "af-south-1", "ap-east-1",
			"ap-south-1", "ap-south-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1",
			"ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7"},
		"azure": {"eastus", "eastus2", "westus", "westus2", "westus3", "centralus", "northcentralus",
			"southcentralus", "westcentralus", "canadacentral", "canadaeast", "mexicocentral", "brazilsouth",
			"chilecentral", "northeurope", "westeurope", "uksouth", "ukwest", "francecentral",
			"germanywestcentral", "switzerlandnorth", "norwayeast", "swedencentral", "polandcentral",
			"italynorth", "spaincentral", "israelcentral", "uaenorth", "qatarcentral", "southafricanorth",
			"eastasia", "southeastasia", "japaneast", "japanwest", "koreacentral", "koreasouth", "centralindia",
			"southindia", "westindia", "australiaeast", "australiasoutheast", "australiacentral",
			"indonesiacentral", "malaysiawest", "newzealandnorth"},
		"gcp": {"us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1", "us-west2", "us-west3",
			"us-west4", "northamerica-northeast1", "northamerica-northeast2", "northamerica-south1",
			"southamerica-east1", "southamerica-west1", "europe-west1", "europe-west2", "europe-west3",
			"europe-west4", "europe-west6", "europe-west8", "europe-west9", "europe-west10", "europe-west12",
			"europe-north1", "europe-north2", "europe-central2", "europe-southwest1", "me-west1", "me-central1",
			"me-central2", "africa-south1", "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2",
			"asia-northeast3", "asia-south1", "asia-south2", "asia-southeast1", "asia-southeast2",
			"australia-southeast1", "australia-southeast2"},
	}
	for cloud, regions := range clouds {
		if len(regions) < 30 {
			t.Errorf("%s: %d regions listed, want 30 or more", cloud, len(regions))
		}
		for _, r := range regions {
			lat, lon, ok := regionCoords(r)
			if !ok || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
				t.Errorf("%s region %q: %v, %v, %v", cloud, r, lat, lon, ok)
			}
		}
	}
}

func FuzzRegionDistanceKm(f *testing.F) {
	f.Add("us-east-1", "eastus")
	f.Add("EU-WEST-1", " europe-west1")
	f.Add("", "\x00")
	f.Fuzz(func(t *testing.T, a, b string) {
		km, ok := RegionDistanceKm(a, b)
		back, okBack := RegionDistanceKm(b, a)
		if ok != okBack || math.Abs(km-back) > 1e-9 {
			t.Fatalf("not symmetric: %v, %v one way; %v, %v the other", km, ok, back, okBack)
		}
		if !ok && km != 0 || math.IsNaN(km) || km < 0 || km > math.Pi*earthRadiusKm+1e-9 {
			t.Fatalf("RegionDistanceKm(%q, %q) = %v, %v", a, b, km, ok)
		}
	})
}
