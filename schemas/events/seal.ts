// placeholder until the seal schemas land
export const sealEvents = [] as const;
