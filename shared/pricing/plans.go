package pricing

// BillingOf returns how a plan rounds duration and memory. These rules are
// not in any price list; they come from the providers' pricing pages:
//
//   - AWS Lambda: duration rounded up to 1 ms; configured memory.
//     https://aws.amazon.com/lambda/pricing/
//   - Azure Consumption: at least 100 ms, then 1 ms; observed memory rounded
//     up to 128 MB, at least 128 MB. https://azure.microsoft.com/pricing/details/functions/
//   - Azure Flex Consumption (On Demand): at least 1,000 ms, then 100 ms;
//     the instance memory size. Same page.
//   - GCP 1st gen and Cloud Run functions: rounded up to 100 ms; configured
//     memory. https://cloud.google.com/functions/pricing
func BillingOf(p Plan) Billing {
	switch p {
	case Lambda:
		return Billing{MinDurationMs: 1, StepMs: 1}
	case Consumption:
		return Billing{MinDurationMs: 100, StepMs: 1, MemoryStepMB: 128, MinMemoryMB: 128, BillsObservedMemory: true}
	case Flex:
		return Billing{MinDurationMs: 1000, StepMs: 100}
	case Gen1, Gen2:
		return Billing{MinDurationMs: 100, StepMs: 100}
	}
	return Billing{}
}

// FreeGrantsOf returns a plan's monthly free grants where the price list does
// not carry them (Azure's and GCP's lists show them as $0 tiers, which the
// fetchers turn into grants). Sources as for BillingOf.
func FreeGrantsOf(p Plan) []Grant {
	switch p {
	case Lambda:
		return []Grant{{Meter: GBSecond, Units: 400_000}, {Meter: Request, Units: 1_000_000}}
	case Consumption:
		return []Grant{{Meter: GBSecond, Units: 400_000}, {Meter: Request, Units: 1_000_000}}
	case Flex:
		return []Grant{{Meter: GBSecond, Units: 100_000}, {Meter: Request, Units: 250_000}}
	case Gen1:
		return []Grant{{Meter: GBSecond, Units: 400_000}, {Meter: GHzSecond, Units: 200_000}, {Meter: Request, Units: 2_000_000}}
	case Gen2:
		return []Grant{{Meter: VCPUSecond, Units: 180_000}, {Meter: GiBSecond, Units: 360_000}, {Meter: Request, Units: 2_000_000}}
	}
	return nil
}

// MetersOf lists the meters a plan's card must price.
func MetersOf(p Plan) []Meter {
	switch p {
	case Lambda, Consumption, Flex:
		return []Meter{GBSecond, Request}
	case Gen1:
		return []Meter{GHzSecond, GBSecond, Request}
	case Gen2:
		return []Meter{VCPUSecond, GiBSecond, Request}
	}
	return nil
}
