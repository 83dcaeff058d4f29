// placeholder until the delivery schemas land
export const deliveryEvents = [] as const;
